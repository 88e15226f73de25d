//! Organisations form a tree (Tỉnh ủy → its Ban; UBND tỉnh → Sở → Phòng). An admin manages
//! their own organisation and everything below it.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::InvalidInput;

stored_enum! {
    NumberingStyle as "numbering_style" {
        /// `1945-QĐ/TU`
        Party = "party",
        /// `02/CT-TTg`
        State = "state",
    }
}

/// The parent links of every organisation, enough to answer "is X at or below Y?".
pub struct OrgTree {
    children: HashMap<Uuid, Vec<Uuid>>,
    parents: HashMap<Uuid, Uuid>,
}

impl OrgTree {
    pub fn new(links: impl IntoIterator<Item = (Uuid, Option<Uuid>)>) -> Self {
        let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        let mut parents = HashMap::new();
        for (id, parent) in links {
            if let Some(parent) = parent {
                children.entry(parent).or_default().push(id);
                parents.insert(id, parent);
            }
        }
        Self { children, parents }
    }

    /// The whole tree `member` belongs to: its topmost ancestor and everything below it. A
    /// specialist of a Ban works with the Tỉnh ủy's leaders above and the other Bans beside.
    pub fn tree_of(&self, member: Uuid) -> HashSet<Uuid> {
        let mut root = member;
        let mut climbed = HashSet::from([member]);
        // `climbed` stops a parent loop someone wrote into the table by hand.
        while let Some(parent) = self.parents.get(&root) {
            if !climbed.insert(*parent) {
                break;
            }
            root = *parent;
        }
        self.subtree(root)
    }

    /// `root` and every organisation below it.
    pub fn subtree(&self, root: Uuid) -> HashSet<Uuid> {
        let mut seen = HashSet::from([root]);
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            for child in self.children.get(&id).into_iter().flatten() {
                if seen.insert(*child) {
                    stack.push(*child);
                }
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_holds_the_root_and_all_descendants_only() {
        let (province, dept, office, other) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let tree = OrgTree::new([
            (province, None),
            (dept, Some(province)),
            (office, Some(dept)),
            (other, None),
        ]);
        assert_eq!(
            tree.subtree(province),
            HashSet::from([province, dept, office])
        );
        assert_eq!(tree.subtree(dept), HashSet::from([dept, office]));
        assert_eq!(tree.subtree(other), HashSet::from([other]));
        for member in [province, dept, office] {
            assert_eq!(
                tree.tree_of(member),
                HashSet::from([province, dept, office])
            );
        }
        assert_eq!(tree.tree_of(other), HashSet::from([other]));
    }
}

/// Where an organisation's seal (its signing key in the HSM, added at issuance) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seal {
    /// No key provisioned.
    None,
    /// A key waits for the CA's certificate.
    Pending,
    /// The key has its certificate: issuance can seal.
    Certified,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: Uuid,
    /// Its QCVN 102 agency code (or a local code from before the exchange).
    pub code: String,
    /// What its documents' symbols are built from: `TU` in `1945-QĐ/TU`.
    pub abbreviation: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub numbering_style: NumberingStyle,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Whether pushes about its documents show their summary (off by default: a push travels
    /// through Google and Apple).
    pub push_summary: bool,
}
