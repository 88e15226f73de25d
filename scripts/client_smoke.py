"""A document's whole outgoing path, driven through the Python client generated from
openapi/openapi.json, as an app developer would use it: log in, upload, submit, approve,
sign on the phone (request, then confirm with the PIN), download the signed file.

Usage: client_smoke.py BASE_URL LOGINS_FILE PYHANKO   (the generated package on PYTHONPATH)
LOGINS_FILE is the demo's `role username password` lines; PYHANKO validates the signed file
with the trust anchors fetched as PEM, as the README tells users to.
"""

import os
import subprocess
import sys
import tempfile
import uuid

from vanban_api_client import AuthenticatedClient, Client
from vanban_api_client.api.admin import list_users
from vanban_api_client.api.auth import login
from vanban_api_client.api.documents import create_document, download_file, get_document
from vanban_api_client.api.signing import (
    confirm_signing_request,
    create_signing_request,
    create_user_signing_credential,
    set_signing_pin,
    signing_trust_anchors,
)
from vanban_api_client.api.work import approve_task, inbox, submit_document
from vanban_api_client.models import (
    ApproveRequest,
    Confidentiality,
    ConfirmRequest,
    CreateDocumentBody,
    CreateSigningRequest,
    DeviceRequest,
    Direction,
    DocumentMetadata,
    DocumentState,
    KeyAlgorithm,
    Language,
    LoginRequest,
    Platform,
    ProvisionRequest,
    SigningPinRequest,
    StepAction,
    StepRequest,
    SubmitRequest,
    TaskAction,
    TaskStatus,
    Urgency,
)
from vanban_api_client.types import File

PIN = "482913"


def check(condition, what):
    if not condition:
        sys.exit(f"client smoke: {what}")
    print(f"  ok  {what}")


def answer(response, status, what):
    """The parsed body of a response that must have `status`."""
    if response.status_code != status:
        sys.exit(f"client smoke: {what}: {response.status_code} {response.content[:500]!r}")
    print(f"  ok  {what}")
    return response.parsed


def pdf(text):
    """A small valid one-page PDF."""
    content = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def main(base, logins_file, pyhanko):
    passwords = {}
    with open(logins_file, encoding="utf-8") as f:
        for line in f:
            role, username, password = line.split()
            # The first account of each role (the demo lists a second leader, who signs its decision).
            passwords.setdefault(role, (username, password))

    def session(role):
        username, password = passwords[role]
        body = LoginRequest(
            username=username,
            password=password,
            device=DeviceRequest(
                device_id=f"client-smoke-{role}",
                platform=Platform.WEB,
                name="client smoke",
                app_version="1.0",
                locale=Language.VI,
            ),
        )
        tokens = answer(login.sync_detailed(client=Client(base_url=base), body=body), 200, f"{role} logs in")
        return AuthenticatedClient(base_url=base, token=tokens.access_token)

    admin, leader, clerk, specialist = (session(r) for r in ("admin", "leader", "clerk", "specialist"))

    people = answer(list_users.sync_detailed(client=admin, limit=100), 200, "the admin lists people")
    ids = {u.username: u.id for u in people.items}
    leader_id, clerk_id = ids[passwords["leader"][0]], ids[passwords["clerk"][0]]

    credential = create_user_signing_credential.sync_detailed(
        leader_id,
        client=admin,
        body=ProvisionRequest(algorithm=KeyAlgorithm.ECDSA_P256),
        idempotency_key=str(uuid.uuid4()),
    )
    # 409 when an earlier run of the demo already gave the leader a key.
    check(credential.status_code in (201, 409), "the leader has a signing key")
    answer(
        set_signing_pin.sync_detailed(
            client=leader,
            body=SigningPinRequest(current_password=passwords["leader"][1], pin=PIN),
        ),
        204,
        "the leader sets a signing PIN",
    )

    key = str(uuid.uuid4())
    upload = CreateDocumentBody(
        metadata=DocumentMetadata(
            direction=Direction.OUTGOING,
            doc_type="TTr",
            summary="Tờ trình về việc kiểm thử ứng dụng khách sinh từ đặc tả",
            urgency=Urgency.URGENT,
            confidentiality=Confidentiality.NONE,
        ),
        file=[File(payload=pdf("Client smoke"), file_name="to-trinh.pdf", mime_type="application/pdf")],
    )
    created = create_document.sync_detailed(client=specialist, body=upload, idempotency_key=key)
    document = answer(created, 201, "the specialist uploads a draft")
    check(document.state == DocumentState.DRAFT, "the draft is a draft")
    again = create_document.sync_detailed(client=specialist, body=upload, idempotency_key=key)
    check(
        again.headers.get("idempotent-replayed") == "true" and again.parsed.id == document.id,
        "a retried upload with the same Idempotency-Key is answered, not stored twice",
    )

    submitted = submit_document.sync_detailed(
        document.id,
        client=specialist,
        body=SubmitRequest(
            steps=[
                StepRequest(user_id=clerk_id, action=StepAction.REVIEW),
                StepRequest(user_id=leader_id, action=StepAction.SIGN),
            ]
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    check(answer(submitted, 200, "the specialist submits it").state == DocumentState.IN_REVIEW, "it is in review")

    def waiting_task(client, who):
        page = answer(inbox.sync_detailed(client=client, limit=100), 200, f"the {who} reads the inbox")
        tasks = [e.task for e in page.items if e.document_id == document.id]
        check(len(tasks) == 1 and tasks[0].status == TaskStatus.WAITING, f"the {who} has it waiting")
        return tasks[0]

    review = waiting_task(clerk, "reviewer")
    decided = approve_task.sync_detailed(
        review.id, client=clerk, body=ApproveRequest(comment="Đồng ý trình ký."), idempotency_key=str(uuid.uuid4())
    )
    check(answer(decided, 200, "the reviewer approves").status == TaskStatus.APPROVED, "the review is approved")

    sign = waiting_task(leader, "leader")
    check(sign.action == TaskAction.SIGN, "the leader's step is to sign")
    main_file = answer(get_document.sync_detailed(document.id, client=leader), 200, "the leader opens it").files[0]
    request = answer(
        create_signing_request.sync_detailed(
            sign.id,
            client=leader,
            body=CreateSigningRequest(file_id=main_file.id, reason="Phê duyệt", location="Hà Nội"),
            idempotency_key=str(uuid.uuid4()),
        ),
        201,
        "the leader asks to sign",
    )
    signature = answer(
        confirm_signing_request.sync_detailed(
            request.id,
            client=leader,
            body=ConfirmRequest(pin=PIN, digest=request.digest),
            idempotency_key=str(uuid.uuid4()),
        ),
        200,
        "the leader confirms with the PIN",
    )

    signed = answer(get_document.sync_detailed(document.id, client=specialist), 200, "the author reloads it")
    check(signed.state == DocumentState.SIGNED, "the document is signed")
    current = [f for f in signed.files if f.current and f.slot == 0][0]
    check(current.id == signature.file_id, "the signed version is the current main file")
    downloaded = download_file.sync_detailed(signed.id, current.id, client=specialist)
    body = downloaded.content
    check(
        downloaded.status_code == 200 and body.startswith(b"%PDF") and b"/ByteRange" in body,
        "the author downloads the signed PDF",
    )

    anchors = answer(signing_trust_anchors.sync_detailed(client=specialist), 200, "the trust anchors, as JSON")
    # The README's validation, as written: the anchors asked for as one PEM file, then pyHanko.
    pem = specialist.get_httpx_client().get(
        "/api/v1/signing/trust-anchors", headers={"Accept": "application/x-pem-file"}
    )
    check(
        pem.headers["content-type"] == "application/x-pem-file" and pem.text == "".join(anchors.certificates),
        "the same anchors, as one PEM file",
    )
    work = tempfile.mkdtemp()
    with open(os.path.join(work, "ca.pem"), "w", encoding="ascii") as f:
        f.write(pem.text)
    with open(os.path.join(work, "signed.pdf"), "wb") as f:
        f.write(body)
    validated = subprocess.run(
        [pyhanko, "sign", "validate", "--trust", "ca.pem", "--trust-replace", "--no-revocation-check", "signed.pdf"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    if validated.returncode != 0:
        sys.exit(f"client smoke: pyHanko refuses the signature: {validated.stdout}{validated.stderr}")
    print("  ok  pyHanko judges the signature valid and trusted")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
