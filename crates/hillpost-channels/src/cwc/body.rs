//! Reading an answer's body without trusting its size.

/// The body as text, at most `max` bytes of it (the rest is not read).
pub(super) async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> Result<String, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = max.saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() >= max {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
