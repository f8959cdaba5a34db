//! Redirects, followed only within the same origin.

use super::{Http, Method, Reply};
use crate::exit;
use anyhow::Result;

/// Same-origin redirects followed in a row before giving up.
pub const MAX_REDIRECTS: usize = 5;

impl Http {
    /// Sends the request, following redirects only within the same origin (scheme, host
    /// and port): a redirect elsewhere could hand a client secret or device code to
    /// another party, or downgrade to plain http. A POST follows only 307 and 308, which
    /// keep the method and body.
    pub(super) fn follow(&self, url: &str, method: Method) -> Result<Reply> {
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let (reply, location) = self.once(&current, &method)?;
            let redirect = matches!(reply.status, 301 | 302 | 303 | 307 | 308);
            let Some(location) = location.filter(|_| redirect) else {
                return Ok(reply);
            };
            let from = url::Url::parse(&current)
                .map_err(|e| exit::usage(format!("{current} is not a valid URL: {e}")))?;
            let to = from.join(&location).map_err(|_| {
                exit::network(format!(
                    "{current} answered HTTP {} with an unusable Location",
                    reply.status
                ))
            })?;
            let shown = format!("{}{}", to.origin().ascii_serialization(), to.path());
            if to.origin() != from.origin() {
                return Err(exit::network(format!(
                    "{current} redirects to {shown}, another host or scheme; keycard follows \
                     redirects only within the same origin, so set the endpoint to the final URL"
                )));
            }
            if matches!(method, Method::PostForm { .. }) && !matches!(reply.status, 307 | 308) {
                return Err(exit::network(format!(
                    "{current} answered a POST with HTTP {} to {shown}; set the endpoint to that URL",
                    reply.status
                )));
            }
            self.log(format_args!("  following HTTP {} to {shown}", reply.status));
            current = to.to_string();
        }
        Err(exit::network(format!(
            "{url} redirected more than {MAX_REDIRECTS} times"
        )))
    }
}
