//! RFC 6238 TOTP with HMAC-SHA1, 30-second steps and 6 digits — what authenticator apps
//! compute from an `otpauth://totp/…` URI — and the RFC 4648 base32 of its seeds.

use hmac::{Hmac, Mac as _};
use sha1::Sha1;
use subtle::ConstantTimeEq as _;

/// RFC 6238 `X`: the time step, in seconds.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code (what `authenticationCodeType` allows: exactly 6).
pub const DIGITS: u32 = 6;

/// The time step `T` of a Unix time: `floor((unix - T0) / X)` with `T0 = 0`.
pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECONDS)
}

/// RFC 4226 HOTP of `counter` truncated to `digits`, as the zero-padded decimal code.
pub fn hotp(seed: &[u8], counter: u64, digits: u32) -> String {
    // HMAC accepts keys of any length: `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(seed) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    // Dynamic truncation (RFC 4226 §5.3): the low nibble of the last byte is the offset.
    let offset = usize::from(hash.last().copied().unwrap_or_default() & 0x0f);
    let word = hash
        .get(offset..offset + 4)
        .map(|b| b.iter().fold(0u32, |acc, x| (acc << 8) | u32::from(*x)))
        .unwrap_or_default()
        & 0x7fff_ffff;
    let code = word % 10u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The 6-digit code of time step `step`.
pub fn code_at(seed: &[u8], step: i64) -> String {
    hotp(seed, u64::try_from(step).unwrap_or_default(), DIGITS)
}

/// Whether `code` is the code of `step`, compared in constant time.
pub fn matches(seed: &[u8], step: i64, code: &str) -> bool {
    step >= 0 && bool::from(code_at(seed, step).as_bytes().ct_eq(code.as_bytes()))
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (authenticator apps accept seeds in this form).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(
                BASE32
                    .get(((buffer >> bits) & 31) as usize)
                    .copied()
                    .unwrap_or(b'A'),
            ));
        }
    }
    if bits > 0 {
        out.push(char::from(
            BASE32
                .get(((buffer << (5 - bits)) & 31) as usize)
                .copied()
                .unwrap_or(b'A'),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, the SHA-1 rows (8 digits, seed "12345678901234567890").
    #[test]
    fn rfc6238_sha1_vectors() {
        let seed = b"12345678901234567890";
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let step = u64::try_from(step_of(time)).unwrap();
            assert_eq!(hotp(seed, step, 8), code, "T = {time}");
        }
    }

    /// RFC 4226 Appendix D: HOTP of the same seed, counters 0…9, 6 digits.
    #[test]
    fn rfc4226_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", counter as u64, 6), *code);
        }
        assert!(matches(b"12345678901234567890", 1, "287082"));
        assert!(!matches(b"12345678901234567890", 1, "287083"));
        assert!(!matches(b"12345678901234567890", -1, "755224"));
    }

    /// RFC 4648 §10 test vectors (without padding).
    #[test]
    fn base32_vectors() {
        for (input, out) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(input.as_bytes()), out);
        }
    }
}
