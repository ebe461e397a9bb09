//! Logging with `tracing`: plain text or JSON lines. Every line logged while a
//! request is handled carries that request's `request_id` (from the root span
//! of `TracingLogger`), which is also sent back in the `x-request-id` header.

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(format: &str, level: &str) {
    // try_init also routes `log` records (actix internals) into tracing.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = subscriber(format, level, ansi, std::io::stderr).try_init();
}

/// The subscriber `init` installs, writing to `writer` (with colours only when
/// `ansi`: container logs are not terminals). With `format = json`
/// each line is one JSON object whose `span`/`spans` fields hold the request
/// span's fields (`request_id`, `http.route`, ...).
pub fn subscriber<W>(
    format: &str,
    level: &str,
    ansi: bool,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    if format == "json" {
        Box::new(
            builder
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .finish(),
        )
    } else {
        Box::new(builder.finish())
    }
}
