//! People as their colleagues see them: a directory entry, and the name shown wherever someone
//! acted. Nothing more personal than name, title, organisation and roles.

use uuid::Uuid;

use super::{Role, search};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: Uuid,
    pub full_name: String,
    /// Chức vụ, e.g. `Phó Bí thư Thường trực`.
    pub title: String,
    pub organization_id: Uuid,
    pub organization_name: String,
    pub roles: Vec<Role>,
}

/// One directory row before its roles and organisation are loaded: enough to search and order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub id: Uuid,
    pub full_name: String,
    pub title: String,
}

/// The directory order and cursor: the name folded, then the id to break ties.
pub fn sort_key(full_name: &str, id: Uuid) -> String {
    format!("{}|{id}", search::fold(full_name))
}

impl Listing {
    pub fn sort_key(&self) -> String {
        sort_key(&self.full_name, self.id)
    }

    /// Whether a query typed with or without accents occurs in the name or the title.
    pub fn matches(&self, query: &str) -> bool {
        search::matches(&format!("{} {}", self.full_name, self.title), query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_typed_without_accents_finds_the_person() {
        let deputy = Listing {
            id: Uuid::nil(),
            full_name: "Phạm Minh Tấn".to_owned(),
            title: "Phó Bí thư Thường trực".to_owned(),
        };
        assert!(deputy.matches("pho bi thu"));
        assert!(deputy.matches("PHAM minh"));
        assert!(!deputy.matches("chanh van phong"));
        assert!(deputy.sort_key().starts_with("pham minh tan|"));
    }
}
