//! Logging with `tracing`: plain text or JSON lines. Every line logged while a
//! request is handled carries that request's `request_id` (from the span that
//! `middleware::request_context` opens), which is also sent back in the
//! `x-request-id` header.

use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global subscriber once; later calls are no-ops (and return
/// `None`). Lines go to standard error in batches, like nginx's
/// `access_log … buffer=64k flush=100ms`: each line is appended to a shared
/// buffer, which is written out when it fills, when a line finds it older
/// than [`FLUSH_INTERVAL`], and every [`FLUSH_INTERVAL`] from a timer thread
/// (so a quiet server's last lines still come out). Keep the guard until
/// exit: dropping it writes out what is buffered.
#[must_use = "dropping the guard may lose the last log lines"]
pub fn init(format: &str, level: &str) -> Option<FlushOnDrop> {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let log = SharedLog(Arc::new(Mutex::new(Batched::new(std::io::stderr()))));
    // try_init also routes `log` records (actix internals) into tracing.
    subscriber(format, level, ansi, log.clone())
        .try_init()
        .ok()?;
    let ticking = Arc::downgrade(&log.0);
    let _ = std::thread::Builder::new()
        .name("igv-relay-log-flush".into())
        .spawn(move || {
            while let Some(log) = ticking.upgrade() {
                let _ = lock(&log).flush_if_stale();
                drop(log);
                std::thread::sleep(FLUSH_INTERVAL);
            }
        });
    Some(FlushOnDrop(log))
}

/// The longest a log line waits in memory before it is written.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// Writes out what is buffered when dropped (see [`init`]).
pub struct FlushOnDrop(SharedLog);

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        let _ = lock(&self.0.0).out.flush();
    }
}

/// The log buffer every thread appends its lines to.
///
/// Not tracing-appender's writer thread: it woke for nearly every line (a
/// futex wake and a spinning `sched_yield` loop per request under load) and
/// cost the relay a fifth of its throughput (BENCHMARKS.md). Appending under
/// an uncontended lock costs a memcpy.
#[derive(Clone)]
struct SharedLog(Arc<Mutex<Batched<std::io::Stderr>>>);

fn lock<W: Write>(log: &Mutex<Batched<W>>) -> MutexGuard<'_, Batched<W>> {
    // A panic elsewhere while logging leaves whole lines behind: keep going.
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'a> MakeWriter<'a> for SharedLog {
    type Writer = LogLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LogLine(lock(&self.0))
    }
}

/// One formatted line (the fmt layer writes each event with one `write_all`).
struct LogLine<'a>(MutexGuard<'a, Batched<std::io::Stderr>>);

impl Write for LogLine<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.0.out.write(buf)?;
        self.0.flush_if_stale()?;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush_if_stale()
    }
}

/// A buffered writer that is written out when full, or on request once
/// [`FLUSH_INTERVAL`] has passed since it last was, and on drop.
struct Batched<W: Write> {
    out: BufWriter<W>,
    written: Instant,
}

impl<W: Write> Batched<W> {
    fn new(out: W) -> Self {
        Self {
            out: BufWriter::with_capacity(64 * 1024, out),
            written: Instant::now(),
        }
    }

    fn flush_if_stale(&mut self) -> std::io::Result<()> {
        if self.written.elapsed() < FLUSH_INTERVAL {
            return Ok(());
        }
        self.written = Instant::now();
        self.out.flush()
    }
}

/// The subscriber `init` installs, writing to `writer` (with colours only when
/// `ansi`: container logs are not terminals). With `format = json`
/// each line is one JSON object whose `span`/`spans` fields hold the request
/// span's fields (`request_id`).
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
    } else if ansi {
        Box::new(builder.finish())
    } else {
        Box::new(
            builder
                .fmt_fields(PlainFields)
                .event_format(PlainLine)
                .finish(),
        )
    }
}

/// The text format without colours, as logged to files and containers: the
/// same line as tracing-subscriber's default format,
/// `2026-11-26T10:46:34.580980Z  INFO request{request_id=…}: target: message k=v`,
/// written directly. The default format paints every part of the line with an
/// (empty) style even with colours off, and that was most of the cost of the
/// relay's access line (BENCHMARKS.md).
struct PlainLine;

impl<S, N> FormatEvent<S, N> for PlainLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        write!(
            writer,
            "{}",
            humantime::format_rfc3339_micros(std::time::SystemTime::now())
        )?;
        writer.write_str(match *meta.level() {
            Level::ERROR => " ERROR ",
            Level::WARN => "  WARN ",
            Level::INFO => "  INFO ",
            Level::DEBUG => " DEBUG ",
            Level::TRACE => " TRACE ",
        })?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                writer.write_str(span.name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    writer.write_char('{')?;
                    writer.write_str(fields)?;
                    writer.write_char('}')?;
                }
                writer.write_char(':')?;
            }
            writer.write_char(' ')?;
        }
        writer.write_str(meta.target())?;
        writer.write_str(": ")?;
        ctx.format_fields(writer.by_ref(), event)?;
        writer.write_char('\n')
    }
}

/// `message k=v k2=v2`: strings and other values as `Debug` prints them
/// (so a value with spaces stays one token), the message as written.
struct PlainFields;

impl<'writer> FormatFields<'writer> for PlainFields {
    fn format_fields<R: RecordFields>(
        &self,
        writer: Writer<'writer>,
        fields: R,
    ) -> std::fmt::Result {
        let mut visitor = PlainVisitor {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct PlainVisitor<'writer> {
    writer: Writer<'writer>,
    first: bool,
    result: std::fmt::Result,
}

impl PlainVisitor<'_> {
    fn separate(&mut self) -> std::fmt::Result {
        if std::mem::replace(&mut self.first, false) {
            Ok(())
        } else {
            self.writer.write_char(' ')
        }
    }
}

impl Visit for PlainVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if self.result.is_err() {
            return;
        }
        self.result = self.separate().and_then(|()| {
            if field.name() != "message" {
                self.writer.write_str(field.name())?;
                self.writer.write_char('=')?;
            }
            write!(self.writer, "{value:?}")
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.result.is_err() {
            return;
        }
        self.result = self.separate().and_then(|()| {
            self.writer.write_str(field.name())?;
            self.writer.write_char('=')?;
            self.writer.write_str(itoa::Buffer::new().format(value))
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn batched_lines_are_written_out_once_the_interval_has_passed_or_on_drop() {
        let out = Captured::default();
        let mut batched = Batched::new(out.clone());
        batched.out.write_all(b"one\n").unwrap();
        batched.flush_if_stale().unwrap();
        assert!(
            out.0.lock().unwrap().is_empty(),
            "held back within the interval"
        );
        std::thread::sleep(FLUSH_INTERVAL);
        batched.out.write_all(b"two\n").unwrap();
        batched.flush_if_stale().unwrap();
        assert_eq!(out.0.lock().unwrap().as_slice(), b"one\ntwo\n");
        batched.out.write_all(b"three\n").unwrap();
        drop(batched);
        assert_eq!(out.0.lock().unwrap().as_slice(), b"one\ntwo\nthree\n");
    }

    #[test]
    fn plain_lines_carry_time_level_span_target_message_and_fields() {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = subscriber("text", "info", false, move || writer.clone());
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", request_id = %"abc-1");
            span.in_scope(|| {
                tracing::info!(method = %"GET", path = "/a b", status = 303_u64, "request finished");
                tracing::debug!("below the level: not written");
            });
            tracing::warn!(reason = ?Some(1), "outside any span");
        });
        let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let (time, rest) = lines[0].split_once(' ').unwrap();
        assert!(
            humantime::parse_rfc3339(time).is_ok() && time.len() == 27,
            "RFC 3339 with microseconds: {time}"
        );
        assert_eq!(
            rest,
            " INFO request{request_id=abc-1}: igv_relay::telemetry::tests: \
             request finished method=GET path=\"/a b\" status=303"
        );
        assert!(
            lines[1]
                .ends_with(" WARN igv_relay::telemetry::tests: outside any span reason=Some(1)"),
            "{}",
            lines[1]
        );
    }
}
