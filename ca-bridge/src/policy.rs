//! Certificate policy processing: the valid_policy_tree of RFC 5280 6.1.2-6.1.5.
//!
//! Why this module exists: bridge CAs map policies between domains, and the tree with its
//! explicit_policy, policy_mapping and inhibit_anyPolicy counters is the part of RFC 5280 most often
//! got wrong; it is kept apart, fed one certificate at a time, so it can be read against the RFC.

use std::collections::BTreeSet;

use crate::Error;
use crate::parse::Certificate;

/// The anyPolicy OID.
pub const ANY_POLICY: &str = "2.5.29.32.0";

/// Most nodes the tree may hold; a hostile chain of mappings cannot grow it without bound.
const MAX_NODES: usize = 10_000;

#[derive(Clone, Debug)]
struct Node {
    valid_policy: String,
    expected: BTreeSet<String>,
    /// Index of the parent in the previous level.
    parent: usize,
    deleted: bool,
}

/// The inputs of RFC 5280 6.1.1 that concern policies.
#[derive(Clone, Debug)]
pub struct PolicyInputs {
    /// user-initial-policy-set (default: anyPolicy).
    pub initial_policy_set: Vec<String>,
    /// initial-explicit-policy.
    pub explicit_policy: bool,
    /// initial-policy-mapping-inhibit.
    pub inhibit_policy_mapping: bool,
    /// initial-any-policy-inhibit.
    pub inhibit_any_policy: bool,
}

impl Default for PolicyInputs {
    fn default() -> Self {
        PolicyInputs {
            initial_policy_set: vec![ANY_POLICY.to_owned()],
            explicit_policy: false,
            inhibit_policy_mapping: false,
            inhibit_any_policy: false,
        }
    }
}

/// Runs policy processing over `path` (ordered from the certificate the anchor issued to the end
/// entity). Returns the user-constrained policy set (`["2.5.29.32.0"]` when any policy is acceptable,
/// empty when the tree is NULL but no explicit policy is required).
pub(crate) fn process(path: &[&Certificate], inputs: &PolicyInputs) -> Result<Vec<String>, Error> {
    let n = path.len();
    let start = |b: bool| if b { 0 } else { n as u64 + 1 };
    let mut explicit_policy = start(inputs.explicit_policy);
    let mut inhibit_any = start(inputs.inhibit_any_policy);
    let mut policy_mapping = start(inputs.inhibit_policy_mapping);
    // levels[0] is the root: anyPolicy.
    let mut levels: Vec<Vec<Node>> = vec![vec![Node {
        valid_policy: ANY_POLICY.to_owned(),
        expected: BTreeSet::from([ANY_POLICY.to_owned()]),
        parent: 0,
        deleted: false,
    }]];
    let mut tree_null = false;
    let mut total = 1usize;
    let err = |c: &Certificate, d: &str| Error::Policy {
        subject: c.subject.display().to_owned(),
        detail: d.to_owned(),
    };

    for (idx, cert) in path.iter().enumerate() {
        let i = idx + 1;
        let last = i == n;
        let self_issued_inner = cert.self_issued && !last;
        // 6.1.3 (d)
        match (&cert.ext.policies, tree_null) {
            (Some(policies), false) => {
                let prev = levels.len() - 1;
                let mut level: Vec<Node> = Vec::new();
                for p in policies.iter().filter(|p| p.as_str() != ANY_POLICY) {
                    let mut matched = false;
                    for (pi, parent) in levels[prev].iter().enumerate() {
                        if !parent.deleted && parent.expected.contains(p) {
                            level.push(Node {
                                valid_policy: p.clone(),
                                expected: BTreeSet::from([p.clone()]),
                                parent: pi,
                                deleted: false,
                            });
                            matched = true;
                        }
                    }
                    if !matched
                        && let Some(pi) = levels[prev]
                            .iter()
                            .position(|x| !x.deleted && x.valid_policy == ANY_POLICY)
                    {
                        level.push(Node {
                            valid_policy: p.clone(),
                            expected: BTreeSet::from([p.clone()]),
                            parent: pi,
                            deleted: false,
                        });
                    }
                }
                if policies.iter().any(|p| p == ANY_POLICY)
                    && (inhibit_any > 0 || self_issued_inner)
                {
                    for (pi, parent) in levels[prev].iter().enumerate() {
                        if parent.deleted {
                            continue;
                        }
                        for e in &parent.expected {
                            let exists =
                                level.iter().any(|c| c.parent == pi && &c.valid_policy == e);
                            if !exists {
                                level.push(Node {
                                    valid_policy: e.clone(),
                                    expected: BTreeSet::from([e.clone()]),
                                    parent: pi,
                                    deleted: false,
                                });
                            }
                        }
                    }
                }
                total += level.len();
                if total > MAX_NODES {
                    return Err(err(cert, "policy tree too large"));
                }
                levels.push(level);
                prune(&mut levels);
                if levels.last().is_none_or(|l| l.iter().all(|x| x.deleted)) {
                    tree_null = true;
                }
            }
            _ => tree_null = true,
        }
        // 6.1.3 (f)
        if explicit_policy == 0 && tree_null {
            return Err(err(
                cert,
                "no acceptable policy and an explicit policy is required",
            ));
        }
        if last {
            break;
        }
        // 6.1.4 (a), (b)
        if let Some(maps) = &cert.ext.policy_mappings {
            if maps.iter().any(|(a, b)| a == ANY_POLICY || b == ANY_POLICY) {
                return Err(err(cert, "anyPolicy in policyMappings"));
            }
            if !tree_null {
                let depth = levels.len() - 1;
                let mut issuer_policies: Vec<&String> = maps.iter().map(|(a, _)| a).collect();
                issuer_policies.sort();
                issuer_policies.dedup();
                for idp in issuer_policies {
                    let mapped: BTreeSet<String> = maps
                        .iter()
                        .filter(|(a, _)| a == idp)
                        .map(|(_, b)| b.clone())
                        .collect();
                    if policy_mapping > 0 {
                        let mut found = false;
                        for node in levels[depth].iter_mut() {
                            if !node.deleted && &node.valid_policy == idp {
                                node.expected = mapped.clone();
                                found = true;
                            }
                        }
                        if !found
                            && let Some(any) = levels[depth]
                                .iter()
                                .find(|x| !x.deleted && x.valid_policy == ANY_POLICY)
                                .cloned()
                        {
                            levels[depth].push(Node {
                                valid_policy: idp.clone(),
                                expected: mapped,
                                parent: any.parent,
                                deleted: false,
                            });
                        }
                    } else {
                        for node in levels[depth].iter_mut() {
                            if &node.valid_policy == idp {
                                node.deleted = true;
                            }
                        }
                    }
                }
                prune(&mut levels);
                if levels.last().is_none_or(|l| l.iter().all(|x| x.deleted)) {
                    tree_null = true;
                }
            }
        }
        // 6.1.4 (h), (i), (j)
        if !cert.self_issued {
            explicit_policy = explicit_policy.saturating_sub(1);
            policy_mapping = policy_mapping.saturating_sub(1);
            inhibit_any = inhibit_any.saturating_sub(1);
        }
        if let Some(r) = cert.ext.require_explicit_policy {
            explicit_policy = explicit_policy.min(u64::from(r));
        }
        if let Some(m) = cert.ext.inhibit_policy_mapping {
            policy_mapping = policy_mapping.min(u64::from(m));
        }
        if let Some(s) = cert.ext.inhibit_any_policy {
            inhibit_any = inhibit_any.min(u64::from(s));
        }
    }
    // 6.1.5 (a), (b)
    if let Some(ee) = path.last() {
        explicit_policy = explicit_policy.saturating_sub(1);
        if ee.ext.require_explicit_policy == Some(0) {
            explicit_policy = 0;
        }
    }
    // 6.1.5 (g)
    let user_set: Vec<String> = if tree_null {
        Vec::new()
    } else {
        intersect(&mut levels, &inputs.initial_policy_set);
        prune(&mut levels);
        let leaves = authority_policies(&levels);
        if leaves.is_empty() {
            tree_null = true;
        }
        let mut v = leaves;
        v.sort();
        v.dedup();
        v
    };
    if explicit_policy == 0 && tree_null {
        let ee = path
            .last()
            .map(|c| c.subject.display().to_owned())
            .unwrap_or_default();
        return Err(Error::Policy {
            subject: ee,
            detail: "the valid policy tree is empty and an explicit policy is required".into(),
        });
    }
    Ok(user_set)
}

/// Deletes nodes without children, from the second-deepest level up to the root.
fn prune(levels: &mut [Vec<Node>]) {
    for d in (0..levels.len().saturating_sub(1)).rev() {
        let (upper, lower) = levels.split_at_mut(d + 1);
        let children = &lower[0];
        for (pi, node) in upper[d].iter_mut().enumerate() {
            if !node.deleted && !children.iter().any(|c| !c.deleted && c.parent == pi) {
                node.deleted = true;
            }
        }
    }
    // Deleting a node deletes its subtree.
    for d in 1..levels.len() {
        let (upper, lower) = levels.split_at_mut(d);
        let parents = &upper[d - 1];
        for node in lower[0].iter_mut() {
            if parents.get(node.parent).is_none_or(|p| p.deleted) {
                node.deleted = true;
            }
        }
    }
}

/// 6.1.5 (g)(iii): intersects the tree with the user-initial-policy-set.
fn intersect(levels: &mut [Vec<Node>], initial: &[String]) {
    if initial.iter().any(|p| p == ANY_POLICY) || levels.len() < 2 {
        return;
    }
    // valid_policy_node_set: nodes (not anyPolicy) whose parent is anyPolicy.
    let mut in_set: BTreeSet<String> = BTreeSet::new();
    for d in 1..levels.len() {
        let (upper, lower) = levels.split_at_mut(d);
        let parents = &upper[d - 1];
        for node in lower[0].iter_mut() {
            if node.deleted || node.valid_policy == ANY_POLICY {
                continue;
            }
            let parent_any = parents
                .get(node.parent)
                .is_some_and(|p| p.valid_policy == ANY_POLICY);
            if parent_any {
                if initial.contains(&node.valid_policy) {
                    in_set.insert(node.valid_policy.clone());
                } else {
                    node.deleted = true;
                }
            }
        }
    }
    let depth = levels.len() - 1;
    if let Some(any_idx) = levels[depth]
        .iter()
        .position(|x| !x.deleted && x.valid_policy == ANY_POLICY)
    {
        let parent = levels[depth][any_idx].parent;
        for p in initial {
            if !in_set.contains(p) {
                levels[depth].push(Node {
                    valid_policy: p.clone(),
                    expected: BTreeSet::from([p.clone()]),
                    parent,
                    deleted: false,
                });
            }
        }
        levels[depth][any_idx].deleted = true;
    }
    // Propagate deletions downwards before pruning.
    for d in 1..levels.len() {
        let (upper, lower) = levels.split_at_mut(d);
        let parents = &upper[d - 1];
        for node in lower[0].iter_mut() {
            if parents.get(node.parent).is_none_or(|p| p.deleted) {
                node.deleted = true;
            }
        }
    }
}

/// The user-constrained policy set: for each surviving leaf, the policy in the anchor's domain it
/// descends from (the node whose parent is anyPolicy), or anyPolicy for an all-anyPolicy branch.
fn authority_policies(levels: &[Vec<Node>]) -> Vec<String> {
    let Some(last) = levels.last() else {
        return Vec::new();
    };
    let depth = levels.len() - 1;
    let mut out = Vec::new();
    for leaf in last.iter().filter(|x| !x.deleted) {
        let mut policy = ANY_POLICY.to_owned();
        let mut node = leaf;
        let mut d = depth;
        while d >= 1 {
            let parent = &levels[d - 1][node.parent];
            if node.valid_policy != ANY_POLICY && parent.valid_policy == ANY_POLICY {
                policy = node.valid_policy.clone();
            }
            node = parent;
            d -= 1;
        }
        out.push(policy);
    }
    out
}
