//! Templated condition keys: `aws:RequestTag/${TagKey}`, `s3:ExistingObjectTag/<key>`,
//! `token.actions.${Domain}.ghe.com:sub` stand for every key that fills their placeholders
//! (`aws:RequestTag/team`). A placeholder is `${…}` or `<…>` and takes one character or
//! more, `/` and `:` included (tag keys may have both), as the package's own patterns
//! (`conditionPatterns.json`: `.+?`) read them.
//!
//! Most templates have a literal service prefix and are grouped by it, so a lookup tries
//! only its own service's few; the others (OIDC providers' keys, a placeholder before the
//! `:`) are tried after, each first by its literal beginning.

use crate::index::{FoldedIndex, fold_hash};
use crate::wildcard;

/// The templated keys of a catalogue, each with the position it names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Templates<T> {
    // INVARIANT (grouped): the templates of each `groups` entry are one run, most specific
    // (most literal characters) first; templates from `general` on have a placeholder in
    // their prefix, most specific first.
    list: Vec<Template<T>>,
    /// Lower-cased service prefix and the run of `list` it owns.
    groups: Vec<(String, usize, usize)>,
    /// Positions in `groups`.
    by_prefix: FoldedIndex<u32>,
    general: usize,
}

#[derive(Debug, Clone)]
struct Template<T> {
    /// The key as a wildcard pattern: `aws:requesttag/?*`.
    pattern: String,
    /// The characters before the first placeholder, lower-cased: `aws:requesttag/`.
    lead: String,
    /// How many characters are outside placeholders.
    literal: usize,
    at: T,
}

impl<T: Copy> Templates<T> {
    /// The templates among `keys` (name, position); names without a placeholder are left out.
    pub(crate) fn new<'a>(keys: impl Iterator<Item = (&'a str, T)>) -> Self {
        let mut grouped: Vec<(String, Template<T>)> = Vec::new();
        let mut general: Vec<Template<T>> = Vec::new();
        for (name, at) in keys {
            let Some(template) = Template::parse(name, at) else {
                continue;
            };
            match name.split_once(':') {
                Some((prefix, _)) if template.lead.len() > prefix.len() => {
                    grouped.push((prefix.to_ascii_lowercase(), template));
                }
                _ => general.push(template),
            }
        }
        grouped.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| specific_first(x, y)));
        general.sort_by(specific_first);

        let mut list = Vec::with_capacity(grouped.len() + general.len());
        let mut groups: Vec<(String, usize, usize)> = Vec::new();
        for (prefix, template) in grouped {
            match groups.last_mut() {
                Some((last, _, end)) if *last == prefix => *end += 1,
                _ => groups.push((prefix, list.len(), list.len() + 1)),
            }
            list.push(template);
        }
        let by_prefix = FoldedIndex::new(
            groups
                .iter()
                .enumerate()
                .map(|(i, (prefix, _, _))| {
                    (fold_hash(prefix), u32::try_from(i).unwrap_or(u32::MAX))
                })
                .collect(),
        );
        let general_start = list.len();
        list.extend(general);
        Templates {
            list,
            groups,
            by_prefix,
            general: general_start,
        }
    }

    /// The position of the most specific template `key` fills.
    pub(crate) fn find(&self, key: &str) -> Option<T> {
        let own = key
            .split_once(':')
            .and_then(|(prefix, _)| {
                self.by_prefix.find(prefix, |g| {
                    self.groups.get(g as usize).map(|(p, _, _)| p.as_str())
                })
            })
            .and_then(|g| self.groups.get(g as usize))
            .and_then(|(_, start, end)| self.list.get(*start..*end))
            .unwrap_or_default();
        let general = self.list.get(self.general..).unwrap_or_default();
        own.iter()
            .chain(general)
            .find(|t| {
                key.get(..t.lead.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(&t.lead))
                    && wildcard::matches(&t.pattern, key)
            })
            .map(|t| t.at)
    }
}

impl<T> Template<T> {
    /// `aws:RequestTag/${TagKey}` → `aws:requesttag/?*`; `None` without a placeholder.
    /// Names have no `*` or `?` of their own (the catalogue refuses them).
    fn parse(name: &str, at: T) -> Option<Self> {
        if !name.contains("${") && !name.contains('<') {
            return None;
        }
        let mut pattern = String::with_capacity(name.len());
        let mut lead: Option<String> = None;
        let mut literal = 0;
        let mut rest = name;
        while let Some(c) = rest.chars().next() {
            let close = match c {
                '$' if rest.starts_with("${") => Some('}'),
                '<' => Some('>'),
                _ => None,
            };
            if let Some(close) = close
                && let Some(end) = rest.find(close)
            {
                lead.get_or_insert_with(|| pattern.clone());
                pattern.push_str("?*");
                rest = rest.get(end + 1..).unwrap_or_default();
                continue;
            }
            pattern.push(c.to_ascii_lowercase());
            literal += 1;
            rest = rest.get(c.len_utf8()..).unwrap_or_default();
        }
        Some(Template {
            // An unclosed `${` or `<` is no placeholder: the name is then a plain key.
            lead: lead?,
            pattern,
            literal,
            at,
        })
    }
}

fn specific_first<T>(a: &Template<T>, b: &Template<T>) -> std::cmp::Ordering {
    b.literal
        .cmp(&a.literal)
        .then_with(|| a.pattern.cmp(&b.pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_take_one_character_or_more_and_the_most_specific_wins() {
        let keys = [
            "aws:RequestTag/${TagKey}",
            "s3:ExistingObjectTag/<key>",
            "codebuild:source/${id}.type",
            "codebuild:source/${id}",
            "token.actions.${Domain}.ghe.com:sub",
            "s3:prefix",
            "s3:broken${",
        ];
        let templates = Templates::new(keys.iter().enumerate().map(|(i, k)| (*k, i)));
        let find = |key: &str| templates.find(key).and_then(|i| keys.get(i).copied());
        assert_eq!(
            find("aws:RequestTag/team"),
            Some("aws:RequestTag/${TagKey}")
        );
        assert_eq!(
            find("AWS:REQUESTTAG/a/b:c"),
            Some("aws:RequestTag/${TagKey}")
        );
        assert_eq!(find("aws:RequestTag/"), None);
        assert_eq!(
            find("s3:ExistingObjectTag/x"),
            Some("s3:ExistingObjectTag/<key>")
        );
        assert_eq!(
            find("codebuild:source/one.type"),
            Some("codebuild:source/${id}.type")
        );
        assert_eq!(
            find("codebuild:source/one.other"),
            Some("codebuild:source/${id}")
        );
        assert_eq!(
            find("token.actions.acme.ghe.com:sub"),
            Some("token.actions.${Domain}.ghe.com:sub")
        );
        assert_eq!(find("token.actions..ghe.com:sub"), None);
        assert_eq!(find("s3:prefix"), None, "not a template");
        assert_eq!(
            find("s3:broken${x"),
            None,
            "an unclosed placeholder is none"
        );
    }
}
