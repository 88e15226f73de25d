// Organisations and people by id, loaded once per sign-in: screens show names, not ids.

import type { Organization, User } from './api';
import { adminApi } from './session';
import { everything } from './ui';

let orgs: Promise<Organization[]> | null = null;
let users: Promise<User[]> | null = null;

export function organizations(): Promise<Organization[]> {
  orgs ??= everything((cursor) => adminApi.listOrganizations({ cursor, limit: 100 })).catch((e) => {
    orgs = null;
    throw e;
  });
  return orgs;
}

export function people(): Promise<User[]> {
  users ??= everything((cursor) => adminApi.listUsers({ cursor, limit: 100 })).catch((e) => {
    users = null;
    throw e;
  });
  return users;
}

/** Forget what was loaded (after a change, or when the admin signs out). */
export function forget(): void {
  orgs = null;
  users = null;
}
