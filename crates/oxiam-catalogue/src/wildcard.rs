//! IAM's wildcards, `*` (any run of characters, none included) and `?` (one character),
//! matched ASCII-case-insensitively, as action names and condition keys are compared.
//!
//! oxiam-policy has the policy engine's matcher (with policy variables); this crate stays
//! free of it so that anything can read the catalogue.

/// Whether any of `*`, `?` is in `pattern`.
pub(crate) fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// Whether `text` matches `pattern` in full.
pub(crate) fn matches(pattern: &str, text: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let (mut p, mut t) = (0, 0);
    // After a `*`: where the pattern resumes and the first text position it has not tried.
    let mut star: Option<(usize, usize)> = None;
    loop {
        let pc = pattern.get(p..).and_then(|s| s.chars().next());
        let tc = text.get(t..).and_then(|s| s.chars().next());
        match (pc, tc) {
            (None, None) => return true,
            (Some('*'), _) => {
                p += 1;
                star = Some((p, t));
                continue;
            }
            (Some('?'), Some(c)) => {
                p += 1;
                t += c.len_utf8();
                continue;
            }
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(&b) => {
                p += a.len_utf8();
                t += b.len_utf8();
                continue;
            }
            _ => {}
        }
        // A mismatch: let the last `*` take one more character, or fail.
        let Some((resume, tried)) = star else {
            return false;
        };
        let Some(c) = text.get(tried..).and_then(|s| s.chars().next()) else {
            return false;
        };
        star = Some((resume, tried + c.len_utf8()));
        p = resume;
        t = tried + c.len_utf8();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks_in_any_case() {
        for (pattern, text, expected) in [
            ("*", "", true),
            ("*", "s3:GetObject", true),
            ("s3:Get*", "s3:GetObject", true),
            ("S3:GET*", "s3:getobject", true),
            ("s3:Get*", "s3:PutObject", false),
            ("*:List*", "iam:ListUsers", true),
            ("*Object", "s3:GetObject", true),
            ("*Object", "s3:GetObjectAcl", false),
            ("s3:?etObject", "s3:GetObject", true),
            ("s3:?etObject", "s3:etObject", false),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("ab", "abc", false),
            ("abc", "ab", false),
            ("?", "é", true),
            ("é", "É", false),
        ] {
            assert_eq!(matches(pattern, text), expected, "{pattern} ~ {text}");
        }
    }
}
