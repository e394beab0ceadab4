//! The web UI (served at `/`): server-rendered HTML over the same functions as the JSON API,
//! zh-CN by default with English by a toggle, every asset embedded in the binary.
//!
//! Sign-in takes a bearer token and keeps it server-side under a random session id; the browser
//! holds only that id, in an `HttpOnly; SameSite=Strict` cookie. Every form carries the session's
//! CSRF token, checked on each POST. Pages call the API's handler functions directly with the
//! session's [`Caller`], so roles, tenant isolation and validation are the API's own.

mod catalog;
mod charts;
mod deploy;
mod i18n;
mod program;
mod review;
mod trial;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::{DOCTYPE, Markup, html};
use serde::de::DeserializeOwned;
use serde_json::Value;
use smelt_registry::Role;

use super::{ApiError, Caller, Shared};
pub use i18n::Lang;
use i18n::t;

const STYLE_CSS: &str = include_str!("assets/style.css");
const APP_JS: &str = include_str!("assets/app.js");

/// How long a session lasts without signing in again: a working day.
const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Sessions held at most; the oldest go first beyond it, so a flood of sign-ins cannot grow
/// memory without bound.
const MAX_SESSIONS: usize = 10_000;
const SESSION_COOKIE: &str = "smelt_session";
const PRE_COOKIE: &str = "smelt_pre";
const LANG_COOKIE: &str = "smelt_lang";

pub fn router() -> Router<Shared> {
    Router::new()
        .route("/", get(catalog::index))
        .route("/signin", get(signin_page).post(signin))
        .route("/signout", post(signout))
        .route("/lang/{lang}", get(set_lang))
        .route("/assets/style.css", get(style))
        .route("/assets/app.js", get(script))
        .route("/solutions/{name}", get(catalog::solution))
        .route(
            "/solutions/{name}/{version}/try",
            get(trial::page).post(trial::run),
        )
        .route(
            "/assessment",
            get(program::assessment_page).post(program::assess),
        )
        .route(
            "/needs",
            get(program::needs_page).post(program::create_need),
        )
        .route("/needs/{id}", get(program::matches_page))
        .route("/dashboard", get(program::dashboard_page))
        .route("/deployments", get(deploy::list_page).post(deploy::create))
        .route("/deployments/{id}", get(deploy::detail_page))
        .route("/deployments/{id}/invoke", post(deploy::invoke))
        .route("/deployments/{id}/upgrade", post(deploy::upgrade))
        .route("/deployments/{id}/rollback", post(deploy::rollback))
        .route("/review", get(review::queue_page))
        .route("/review/{name}/{version}", get(review::version_page))
        .route(
            "/review/{name}/{version}/conformance",
            post(review::start_conformance),
        )
        .route("/review/jobs/{id}", get(review::job))
        .route("/review/{name}/{version}/decision", post(review::decide))
        .layer(Extension(Arc::new(UiState::default())))
}

/// Sessions and conformance jobs of the web UI.
#[derive(Default)]
pub struct UiState {
    sessions: Mutex<HashMap<String, Session>>,
    jobs: review::Jobs,
}

struct Session {
    token: String,
    csrf: String,
    created: Instant,
}

impl UiState {
    fn open(&self, token: String) -> (String, String) {
        let id = random_hex();
        let csrf = random_hex();
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| s.created.elapsed() < SESSION_TTL);
        if sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.created)
                .map(|(k, _)| k.clone())
        {
            sessions.remove(&oldest);
        }
        sessions.insert(
            id.clone(),
            Session {
                token,
                csrf: csrf.clone(),
                created: Instant::now(),
            },
        );
        (id, csrf)
    }

    fn get(&self, id: &str) -> Option<(String, String)> {
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions
            .get(id)
            .filter(|s| s.created.elapsed() < SESSION_TTL)
            .map(|s| (s.token.clone(), s.csrf.clone()))
    }

    fn close(&self, id: &str) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.remove(id);
    }
}

/// 128 random bits as hex: session ids and CSRF tokens.
fn random_hex() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Constant-time comparison for secrets.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What every page knows about its request: language, the signed-in caller and its CSRF token.
pub struct Ctx {
    pub lang: Lang,
    pub caller: Option<Caller>,
    pub csrf: String,
    pub path: String,
    pub state: Shared,
    pub ui: Arc<UiState>,
}

impl FromRequestParts<Shared> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, Response> {
        let ui = parts
            .extensions
            .get::<Arc<UiState>>()
            .cloned()
            .ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())?;
        let query_lang = parts.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("lang="))
                .and_then(Lang::parse)
        });
        let lang = query_lang
            .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse))
            .unwrap_or(Lang::Zh);
        let path = parts
            .uri
            .path_and_query()
            .map_or("/".to_owned(), |p| p.as_str().to_owned());
        let mut ctx = Ctx {
            lang,
            caller: None,
            csrf: String::new(),
            path,
            state: state.clone(),
            ui: ui.clone(),
        };
        if let Some((token, csrf)) =
            cookie(&parts.headers, SESSION_COOKIE).and_then(|id| ui.get(id))
        {
            ctx.caller = caller_for(state, &token).await;
            ctx.csrf = csrf;
        }
        Ok(ctx)
    }
}

/// The account behind `token`, through the API's own authentication (a revoked token signs the
/// session out).
async fn caller_for(state: &Shared, token: &str) -> Option<Caller> {
    let request = axum::http::Request::builder()
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(())
        .ok()?;
    let (mut parts, ()) = request.into_parts();
    Caller::from_request_parts(&mut parts, state).await.ok()
}

/// A page's failure, already rendered as a page with the message (or a redirect to sign in).
pub struct Failure(Box<Response>);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for Failure {
    fn from(response: Response) -> Self {
        Failure(Box::new(response))
    }
}

pub type UiResult = Result<Response, Failure>;

impl Ctx {
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    /// The signed-in caller, or a redirect to the sign-in page.
    pub fn caller(&self) -> Result<&Caller, Failure> {
        self.caller
            .as_ref()
            .ok_or_else(|| Redirect::to("/signin").into_response().into())
    }

    /// The caller when it has one of `roles`; otherwise a page saying who may see this.
    pub fn require(&self, roles: &[Role], action: &str) -> Result<&Caller, Failure> {
        let caller = self.caller()?;
        caller.require(roles, action).map_err(|e| self.error(e))?;
        Ok(caller)
    }

    /// A POST's CSRF token must be the session's.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), Failure> {
        match sent {
            Some(sent) if !self.csrf.is_empty() && same(sent, &self.csrf) => Ok(()),
            _ => Err(self
                .page_status(
                    StatusCode::FORBIDDEN,
                    self.t("error"),
                    html! { p.error role="alert" { (self.t("csrf_failed")) } },
                )
                .into()),
        }
    }

    /// An API error as a page with its status and message.
    pub fn error(&self, e: ApiError) -> Failure {
        if e.status == StatusCode::UNAUTHORIZED {
            return Redirect::to("/signin").into_response().into();
        }
        self.page_status(
            e.status,
            self.t("error"),
            html! {
                div.error role="alert" {
                    p { strong { (self.t("error")) " (" (e.code) ")" } }
                    p { (e.message) }
                }
            },
        )
        .into()
    }

    pub fn page(&self, title: &str, body: Markup) -> Response {
        self.page_status(StatusCode::OK, title, body)
    }

    pub fn page_status(&self, status: StatusCode, title: &str, body: Markup) -> Response {
        let role = self.caller.as_ref().map(|c| c.account.role);
        let other = self.lang.other();
        let markup = html! {
            (DOCTYPE)
            html lang=(self.lang.html()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · smelt" }
                    link rel="stylesheet" href="/assets/style.css";
                    script src="/assets/app.js" defer {}
                }
                body {
                    a.skip href="#main" { (self.t("skip")) }
                    header.top {
                        a.brand href="/" { "smelt " span { (self.t("brand")) } }
                        nav aria-label=(self.t("nav")) {
                            ul {
                                @if role.is_some() { li { a href="/" { (self.t("catalog")) } } }
                                @if role == Some(Role::Enterprise) {
                                    li { a href="/assessment" { (self.t("assessment")) } }
                                    li { a href="/needs" { (self.t("needs")) } }
                                    li { a href="/deployments" { (self.t("deployments")) } }
                                }
                                @if matches!(role, Some(Role::Reviewer | Role::Admin)) {
                                    li { a href="/review" { (self.t("review_queue")) } }
                                }
                                @if role == Some(Role::Admin) {
                                    li { a href="/dashboard" { (self.t("dashboard")) } }
                                }
                            }
                        }
                        div.session {
                            a.lang href={ "/lang/" (other.code()) "?back=" (encode(&self.path)) } lang=(other.html()) { (other.label()) }
                            @if let Some(caller) = &self.caller {
                                span.who { (caller.name()) " · " (self.t(caller.account.role.as_str())) }
                                form method="post" action="/signout" {
                                    (self.csrf_field())
                                    button type="submit" { (self.t("signout")) }
                                }
                            } @else {
                                a href="/signin" { (self.t("signin")) }
                            }
                        }
                    }
                    main #main tabindex="-1" {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        };
        let mut response = (status, markup.into_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.lang_from_query() {
            set_cookie(
                headers,
                &format!(
                    "{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000",
                    self.lang.code()
                ),
            );
        }
        response
    }

    fn lang_from_query(&self) -> bool {
        self.path.contains("lang=")
    }

    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }
}

fn set_cookie(headers: &mut HeaderMap, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds one of the API's request bodies from JSON (their fields are the API's, not ours).
pub fn body<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::unprocessable("invalid_body", e.to_string()))
}

/// A 303 to `to` after a successful POST.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE_CSS)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// Only paths on this site, never `//host` or a scheme.
fn local_path(back: Option<&str>) -> &str {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b,
        _ => "/",
    }
}

async fn set_lang(
    axum::extract::Path(lang): axum::extract::Path<String>,
    Query(back): Query<Back>,
) -> Response {
    let lang = Lang::parse(&lang).unwrap_or(Lang::Zh);
    let mut response = Redirect::to(local_path(back.back.as_deref())).into_response();
    set_cookie(
        response.headers_mut(),
        &format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000",
            lang.code()
        ),
    );
    response
}

async fn signin_page(ctx: Ctx) -> Response {
    signin_form(&ctx, None)
}

fn signin_form(ctx: &Ctx, problem: Option<&str>) -> Response {
    let pre = random_hex();
    let mut response = ctx.page(
        ctx.t("signin"),
        html! {
            @if let Some(problem) = problem {
                p.error role="alert" { (problem) }
            }
            form.card method="post" action="/signin" {
                input type="hidden" name="pre" value=(pre);
                label for="token" { (ctx.t("token")) }
                input #token type="password" name="token" autocomplete="off" required;
                p.hint { (ctx.t("token_hint")) }
                button type="submit" { (ctx.t("signin")) }
            }
        },
    );
    set_cookie(
        response.headers_mut(),
        &format!("{PRE_COOKIE}={pre}; Path=/signin; HttpOnly; SameSite=Strict"),
    );
    response
}

async fn signin(
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    // Sign-in CSRF: the form's value must match the cookie set with it (double submit).
    let pre_ok = match (cookie(&headers, PRE_COOKIE), form.get("pre")) {
        (Some(c), Some(f)) => same(c, f),
        _ => false,
    };
    if !pre_ok {
        return signin_form(&ctx, Some(ctx.t("csrf_failed")));
    }
    let token = form.get("token").map(|t| t.trim()).unwrap_or_default();
    if token.is_empty() || token.len() > 256 {
        return signin_form(&ctx, Some(ctx.t("bad_token")));
    }
    if caller_for(&ctx.state, token).await.is_none() {
        return signin_form(&ctx, Some(ctx.t("bad_token")));
    }
    let (id, _) = ctx.ui.open(token.to_owned());
    let mut response = see_other("/");
    set_cookie(
        response.headers_mut(),
        &format!(
            "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
            SESSION_TTL.as_secs()
        ),
    );
    response
}

async fn signout(
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = ctx.check_csrf(form.get("csrf").map(String::as_str)) {
        return r.into_response();
    }
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        ctx.ui.close(id);
    }
    let mut response = see_other("/signin");
    set_cookie(
        response.headers_mut(),
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

/// A number for display: up to `digits` decimals, trailing zeros dropped.
pub fn num(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// A JSON cell for display.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |x| num(x, 4)),
        other => other.to_string(),
    }
}

/// Renders a JSON value's tables (`{col: [values]}`) as an HTML table.
pub fn json_table(
    caption: &str,
    table: &Value,
    highlight: &dyn Fn(usize) -> Option<&'static str>,
) -> Markup {
    let Some(columns) = table.as_object() else {
        return html! {};
    };
    let rows = columns
        .values()
        .filter_map(Value::as_array)
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    html! {
        div.scroll tabindex="0" role="region" aria-label=(caption) {
            table {
                caption { (caption) }
                thead { tr { @for name in columns.keys() { th scope="col" { (name) } } } }
                tbody {
                    @for row in 0..rows {
                        tr class=[highlight(row)] {
                            @for column in columns.values() {
                                td { (column.get(row).map(cell).unwrap_or_default()) }
                            }
                        }
                    }
                }
            }
        }
    }
}
