//! TLS on the listener: the certificate and key from PEM files, swapped
//! without a restart when the files change, and the handshake of each
//! accepted connection.
//!
//! The pair sits behind a certificate resolver: a new pair is used by new
//! handshakes while established connections keep the one they began with.

use crate::config::TlsSettings;
use arc_swap::ArcSwap;
use axum::http::HeaderValue;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A client that has not completed its handshake within this is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the accept loop needs for TLS connections.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    hsts: Option<HeaderValue>,
}

impl Tls {
    /// Loads the pair (an error names the file, never its contents) and,
    /// unless `reload` is zero, starts checking the files for changes.
    pub async fn start(settings: &TlsSettings) -> Result<Tls, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // Stamped before reading: a change in between is seen at the first check.
        let stamps = stamps(settings).await;
        let pem = Pem::read(settings).await?;
        let resolver = Arc::new(Resolver(ArcSwap::from_pointee(
            pem.certified_key(settings, &provider)?,
        )));
        let config = server_config(provider.clone(), resolver.clone())?;
        if !settings.reload.is_zero() {
            let seen = Seen {
                stamps,
                hash: pem.hash(),
            };
            watch(settings.clone(), Arc::downgrade(&resolver), provider, seen);
        }
        tracing::info!(
            cert_file = %settings.cert_file.display(),
            reload = ?settings.reload,
            "TLS on: the listener accepts TLS connections only"
        );
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            hsts: hsts(settings.hsts_max_age),
        })
    }

    /// The handshake on `tcp`; `None` when it fails or takes too long.
    pub async fn accept(&self, tcp: TcpStream, peer: SocketAddr) -> Option<TlsStream<TcpStream>> {
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.acceptor.accept(tcp)).await {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!(%peer, timeout = ?HANDSHAKE_TIMEOUT, "TLS handshake timed out");
                None
            }
        }
    }

    /// `Strict-Transport-Security` for responses on TLS connections.
    pub fn hsts(&self) -> Option<HeaderValue> {
        self.hsts.clone()
    }
}

fn hsts(max_age: Duration) -> Option<HeaderValue> {
    match max_age.as_secs() {
        0 => None,
        secs => HeaderValue::try_from(format!("max-age={secs}; includeSubDomains")).ok(),
    }
}

/// TLS 1.3 and 1.2 with ALPN for HTTP/2 and HTTP/1.1. rustls implements
/// nothing older than 1.2, so TLS 1.0 and 1.1 clients always fail.
fn server_config(
    provider: Arc<CryptoProvider>,
    resolver: Arc<Resolver>,
) -> Result<ServerConfig, String> {
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The current pair, read by every handshake without a lock.
#[derive(Debug)]
struct Resolver(ArcSwap<CertifiedKey>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.load_full())
    }
}

/// The two files' bytes, read once: the hash and the pair come from the
/// same bytes, so a file replaced in between is not mistaken for seen.
struct Pem {
    cert: Vec<u8>,
    key: Vec<u8>,
}

impl Pem {
    async fn read(settings: &TlsSettings) -> Result<Pem, String> {
        Ok(Pem {
            cert: read("TLS_CERT_FILE", &settings.cert_file).await?,
            key: read("TLS_KEY_FILE", &settings.key_file).await?,
        })
    }

    fn hash(&self) -> [u64; 2] {
        use xxhash_rust::xxh3::xxh3_64;
        [xxh3_64(&self.cert), xxh3_64(&self.key)]
    }

    /// Parses and checks the pair: the key must belong to the first certificate.
    fn certified_key(
        &self,
        settings: &TlsSettings,
        provider: &CryptoProvider,
    ) -> Result<CertifiedKey, String> {
        let cert_file = settings.cert_file.display();
        let chain = CertificateDer::pem_slice_iter(&self.cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("TLS_CERT_FILE {cert_file}: not valid PEM ({e})"))?;
        if chain.is_empty() {
            return Err(format!(
                "TLS_CERT_FILE {cert_file}: no PEM certificate in it"
            ));
        }
        let key = private_key(&self.key, &settings.key_file)?;
        CertifiedKey::from_der(chain, key, provider).map_err(|e| {
            format!(
                "TLS_KEY_FILE {} with TLS_CERT_FILE {cert_file}: {e}",
                settings.key_file.display()
            )
        })
    }
}

/// The key; errors say what is wrong, never what the file holds.
fn private_key(bytes: &[u8], path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(bytes).map_err(|e| {
        let why = match e {
            pem::Error::NoItemsFound => "no PEM private key (PKCS#8, PKCS#1 or SEC1) in it",
            _ => "not valid PEM",
        };
        format!("TLS_KEY_FILE {}: {why}", path.display())
    })
}

async fn read(name: &str, path: &Path) -> Result<Vec<u8>, String> {
    tokio::fs::read(path)
        .await
        .map_err(|e| format!("{name} {}: {e}", path.display()))
}

/// What the files looked like at the last check: modification time and
/// size of each (cheap, every tick), and the content hash (read only when
/// those change, so touching a file does not reload it).
struct Seen {
    stamps: [Option<(SystemTime, u64)>; 2],
    hash: [u64; 2],
}

async fn stamps(settings: &TlsSettings) -> [Option<(SystemTime, u64)>; 2] {
    async fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
        let meta = tokio::fs::metadata(path).await.ok()?;
        Some((meta.modified().ok()?, meta.len()))
    }
    [
        stamp(&settings.cert_file).await,
        stamp(&settings.key_file).await,
    ]
}

/// Checks the files every `settings.reload` while the resolver lives.
fn watch(
    settings: TlsSettings,
    resolver: Weak<Resolver>,
    provider: Arc<CryptoProvider>,
    mut seen: Seen,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(settings.reload);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(resolver) = resolver.upgrade() else {
                return;
            };
            reload(&settings, &resolver, &provider, &mut seen).await;
        }
    });
}

/// Swaps in the files' pair when they changed and it is valid; a bad pair
/// is logged once per change and the current one kept.
async fn reload(
    settings: &TlsSettings,
    resolver: &Resolver,
    provider: &CryptoProvider,
    seen: &mut Seen,
) {
    let stamps = stamps(settings).await;
    if stamps == seen.stamps {
        return;
    }
    seen.stamps = stamps;
    let pem = match Pem::read(settings).await {
        Ok(pem) => pem,
        Err(e) => {
            tracing::error!(error = %e, "TLS files unreadable; keeping the current certificate");
            return;
        }
    };
    let hash = pem.hash();
    if hash == seen.hash {
        return;
    }
    seen.hash = hash;
    match pem.certified_key(settings, provider) {
        Ok(key) => {
            resolver.0.store(Arc::new(key));
            tracing::info!(
                cert_file = %settings.cert_file.display(),
                "TLS certificate reloaded; new connections use it"
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "new TLS certificate rejected; keeping the current one");
        }
    }
}
