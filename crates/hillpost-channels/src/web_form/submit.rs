//! Encoding a [`Submission`] the way a browser would: URL-encoded (or multipart when the form
//! says so) for POST, a query string for GET.

use url::form_urlencoded;

use super::page::Submission;
use crate::egress::EgressRequest;

/// The request for `submission`; the body bytes are what the SHA-256 evidence covers.
pub fn request(submission: &Submission, boundary: &str) -> EgressRequest {
    if submission.method == reqwest::Method::GET {
        let mut url = submission.url.clone();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(submission.fields.iter());
        return EgressRequest::get(url);
    }
    if submission.multipart {
        return EgressRequest::post(
            submission.url.clone(),
            &format!("multipart/form-data; boundary={boundary}"),
            multipart(&submission.fields, boundary),
        );
    }
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(submission.fields.iter())
        .finish();
    EgressRequest::post(
        submission.url.clone(),
        "application/x-www-form-urlencoded",
        body.into_bytes(),
    )
}

/// What the SHA-256 evidence covers: the body, or for GET the query string.
pub fn sent_bytes(request: &EgressRequest) -> Vec<u8> {
    if request.method == reqwest::Method::GET {
        request.url.query().unwrap_or("").as_bytes().to_vec()
    } else {
        request.body.clone()
    }
}

fn multipart(fields: &[(String, String)], boundary: &str) -> Vec<u8> {
    let mut body = String::new();
    for (name, value) in fields {
        // As browsers do: quotes and line breaks in names are percent-encoded.
        let name = name
            .replace('"', "%22")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        let value = value.replace("\r\n", "\n").replace('\n', "\r\n");
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    body.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(method: reqwest::Method, multipart: bool) -> Submission {
        Submission {
            method,
            url: url::Url::parse("https://www.x.senate.gov/contact/?old=1").unwrap(),
            fields: vec![
                ("first".into(), "Ana María".into()),
                ("msg".into(), "a&b\nc".into()),
            ],
            multipart,
            carries_letter: true,
        }
    }

    #[test]
    fn urlencoded_post_and_get() {
        let post = request(&submission(reqwest::Method::POST, false), "b");
        assert_eq!(post.body, b"first=Ana+Mar%C3%ADa&msg=a%26b%0Ac");
        assert_eq!(
            post.content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        let get = request(&submission(reqwest::Method::GET, false), "b");
        assert_eq!(get.url.query(), Some("first=Ana+Mar%C3%ADa&msg=a%26b%0Ac"));
        assert_eq!(sent_bytes(&get), b"first=Ana+Mar%C3%ADa&msg=a%26b%0Ac");
    }

    #[test]
    fn multipart_post() {
        let post = request(&submission(reqwest::Method::POST, true), "XyZ");
        let body = String::from_utf8(post.body).unwrap();
        assert_eq!(
            body,
            "--XyZ\r\nContent-Disposition: form-data; name=\"first\"\r\n\r\nAna María\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"msg\"\r\n\r\na&b\r\nc\r\n--XyZ--\r\n"
        );
    }
}
