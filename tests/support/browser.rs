//! A person with a browser: their own cookie jar, following the forms' CSRF tokens.

use super::TestApp;

/// The password of every staff account the test world creates.
pub const STAFF_PASSWORD: &str = "a long enough secret";

/// A signed-in (or not yet signed-in) person using the web pages.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    /// The CSRF token of the last page that had a form.
    pub csrf: String,
}

impl TestApp {
    /// A new browser with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Browser {
            client,
            base: self.url(""),
            csrf: String::new(),
        }
    }

    /// A browser signed in as `email`.
    pub async fn login(&self, email: &str) -> Browser {
        let mut browser = self.browser();
        let response = browser.sign_in(email, STAFF_PASSWORD).await;
        assert_eq!(response.status(), 303, "login of {email} failed");
        browser.get("/").await;
        browser
    }

    /// Creates an office (admin) account and returns its email.
    pub async fn office_account(&self) -> String {
        let email = "office@example.org".to_owned();
        let new = charity_relay::services::staff::NewUser {
            email: email.clone(),
            role: charity_relay::domain::Role::Admin,
            organization: None,
            subdistrict: None,
            password: STAFF_PASSWORD.into(),
        };
        charity_relay::services::staff::create_user(&self.db, new, chrono::Utc::now())
            .await
            .expect("admin");
        email
    }
}

impl Browser {
    /// Signs in through the login form.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> reqwest::Response {
        self.get("/login").await;
        self.post("/login", &[("email", email), ("password", password)]).await
    }

    /// GETs a page and remembers its CSRF token; returns status and body.
    pub async fn get(&mut self, path: &str) -> (u16, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        if let Some(token) = csrf_of(&body) {
            self.csrf = token;
        }
        (status, body)
    }

    /// GETs a file: its status, content type and bytes (a PDF, an image).
    pub async fn get_bytes(&self, path: &str) -> (u16, String, Vec<u8>) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (status, kind, response.bytes().await.expect("body").to_vec())
    }

    /// POSTs a form with the current CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &self.csrf));
        self.client
            .post(format!("{}{path}", self.base))
            .form(&all)
            .send()
            .await
            .expect("POST")
    }

    /// POSTs a form exactly as given (no token added), with extra headers.
    pub fn raw_post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.base))
    }

    /// GETs with extra headers.
    pub fn raw_get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }
}

fn csrf_of(html: &str) -> Option<String> {
    let start = html.find(r#"name="csrf" value=""#)? + r#"name="csrf" value=""#.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}
