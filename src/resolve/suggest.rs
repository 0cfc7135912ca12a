//! Edit-distance "did you mean" candidates for unknown names.

/// The candidate closest to `wanted`, if it is close enough to be a likely typo.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wanted.chars().count() / 3).max(1) + 1;
    candidates
        .into_iter()
        .filter(|c| *c != wanted)
        .map(|c| (strsim::damerau_levenshtein(wanted, c), c))
        .filter(|(distance, c)| *distance <= limit || c.starts_with(wanted) && wanted.len() >= 3)
        .min()
        .map(|(_, c)| c)
}

/// `did you mean `x`?`, when there is a close candidate.
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(wanted, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_nodepool_suggests_closest_name() {
        assert_eq!(
            closest("gpu-pol", ["gpu-pool", "infra", "app"]),
            Some("gpu-pool")
        );
    }

    #[test]
    fn distant_names_are_not_suggested() {
        assert_eq!(closest("kafka", ["postgresql", "minio"]), None);
    }
}
