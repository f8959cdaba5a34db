//! Building the client: one agent going direct, and one through the proxy when the
//! environment names one, both with the timeouts and trust store of the options.

use super::proxy::{Proxied, proxy_from_env};
use super::roots::roots_with;
use super::{CONNECT_TIMEOUT, Http, Options, TIMEOUT};
use anyhow::Result;
use std::time::Duration;
use ureq::tls::{RootCerts, TlsConfig};

impl Http {
    pub fn with(options: Options, verbose: bool) -> Result<Http> {
        let roots = match options.ca_file {
            Some(path) => roots_with(path)?,
            None => RootCerts::PlatformVerifier,
        };
        let timeout = options
            .timeout
            .unwrap_or(TIMEOUT)
            .max(Duration::from_secs(1));
        let connect = options
            .connect_timeout
            .unwrap_or(CONNECT_TIMEOUT)
            .max(Duration::from_secs(1))
            .min(timeout);
        let config = |proxy: Option<ureq::Proxy>| {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(timeout))
                .timeout_connect(Some(connect))
                .user_agent(concat!("keycard/", env!("CARGO_PKG_VERSION")))
                .accept("application/json")
                .tls_config(TlsConfig::builder().root_certs(roots.clone()).build())
                // ureq reads the proxy from the environment by default, for every host;
                // keycard decides per request instead (see `agent_for`).
                .proxy(proxy)
                .build()
        };
        let proxied =
            proxy_from_env(&|k| std::env::var(k).ok())?.map(|(proxy, no_proxy)| Proxied {
                shown: format!("{}:{}", proxy.host(), proxy.port()),
                agent: config(Some(proxy)).into(),
                no_proxy,
            });
        Ok(Http {
            direct: config(None).into(),
            proxied,
            timeout,
            connect_timeout: connect,
            verbose,
            call_timeout: None,
        })
    }
}
