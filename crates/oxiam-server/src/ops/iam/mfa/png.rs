//! A minimal PNG encoder for QR codes: one-bit grayscale, zlib with stored (uncompressed)
//! deflate blocks. A QR code of an `otpauth://` URI at one bit per pixel is a few KiB, so
//! compression is not worth a dependency.
//!
//! PNG: 8-byte signature, then chunks `length (4, BE) | type (4) | data | CRC-32 (type+data)`:
//! IHDR (size, bit depth 1, color type 0), IDAT (zlib stream of the filtered scanlines), IEND.

/// The PNG signature.
const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// Largest payload of one stored deflate block.
const STORED_MAX: usize = 65_535;

/// CRC-32 (ISO 3309, the polynomial PNG uses), bit by bit: images are small and rare.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Adler-32 (RFC 1950), the zlib trailer.
pub fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for x in data {
        a = (a + u32::from(*x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// A zlib stream (RFC 1950) holding `data` in stored deflate blocks (RFC 1951 §3.2.4).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    // CMF 0x78: deflate, 32 KiB window; FLG 0x01 makes (CMF·256 + FLG) a multiple of 31.
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(STORED_MAX).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let last = u8::from(blocks.peek().is_none());
        // A block fits in u16 by construction (chunks of at most 65,535).
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.push(last); // BFINAL, BTYPE = 00
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(out.get(start..).unwrap_or_default());
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Encodes a square of `width`×`width` modules (`dark[y * width + x]`) as a black-on-white
/// PNG, each module `scale` pixels wide, with a `quiet`-module white border.
pub fn encode_modules(dark: &[bool], width: usize, scale: usize, quiet: usize) -> Vec<u8> {
    let pixels = (width + 2 * quiet) * scale;
    let row_bytes = pixels.div_ceil(8);
    let mut raw = Vec::with_capacity((row_bytes + 1) * pixels);
    for py in 0..pixels {
        raw.push(0); // filter type: None
        let my = (py / scale).checked_sub(quiet);
        let mut row = vec![0xffu8; row_bytes];
        for px in 0..pixels {
            let mx = (px / scale).checked_sub(quiet);
            let is_dark = match (mx, my) {
                (Some(x), Some(y)) if x < width && y < width => {
                    dark.get(y * width + x).copied().unwrap_or(false)
                }
                _ => false,
            };
            if is_dark && let Some(byte) = row.get_mut(px / 8) {
                // Grayscale, 1 bit: 0 is black, the most significant bit is the leftmost.
                *byte &= !(0x80 >> (px % 8));
            }
        }
        raw.extend_from_slice(&row);
    }
    let side = u32::try_from(pixels).unwrap_or(u32::MAX);
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    // Bit depth 1, color type 0 (grayscale), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    let mut out = SIGNATURE.to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The QR code of `text` as a PNG.
pub fn qr_png(text: &str) -> Result<Vec<u8>, crate::model::error::ServerError> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|e| crate::model::error::ServerError::Internal(format!("QR code: {e}")))?;
    let dark: Vec<bool> = code
        .to_colors()
        .iter()
        .map(|c| *c == qrcode::Color::Dark)
        .collect();
    Ok(encode_modules(&dark, code.width(), 4, 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn stored_zlib_splits_large_inputs() {
        let data = vec![7u8; 70_000];
        let z = zlib_stored(&data);
        // Header, two block headers of 5 bytes, the data and the trailer.
        assert_eq!(z.len(), 2 + 5 + 5 + 70_000 + 4);
        assert_eq!(z[2], 0, "first block is not final");
        assert_eq!(z[2 + 5 + 65_535], 1, "second block is final");
    }

    #[test]
    fn a_qr_png_is_a_well_formed_png() {
        let png =
            qr_png("otpauth://totp/oxiam:alice@123456789012?secret=ABC&issuer=oxiam").unwrap();
        assert_eq!(&png[..8], &SIGNATURE);
        assert_eq!(&png[12..16], b"IHDR");
        let side = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(side % 4, 0);
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
        // IHDR's CRC covers its type and data.
        let crc = u32::from_be_bytes(png[29..33].try_into().unwrap());
        assert_eq!(crc, crc32(&png[12..29]));
    }
}
