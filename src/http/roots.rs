//! The trust store: the system's, plus a profile's `ca_file`.

use anyhow::{Context, Result};
use std::path::Path;
use ureq::tls::{Certificate, RootCerts};

/// The system trust store plus the certificates in `path` (a corporate CA).
pub(super) fn roots_with(path: &Path) -> Result<RootCerts> {
    let pem =
        std::fs::read(path).with_context(|| format!("cannot read ca_file {}", path.display()))?;
    let mut certs: Vec<Certificate<'static>> = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let Ok(ureq::tls::PemItem::Certificate(cert)) = item {
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        anyhow::bail!("ca_file {} holds no PEM certificate", path.display());
    }
    let system = rustls_native_certs::load_native_certs();
    certs.extend(
        system
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned()),
    );
    Ok(RootCerts::new_with_certs(&certs))
}
