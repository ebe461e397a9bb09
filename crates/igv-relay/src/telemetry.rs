//! Logging with `tracing`: plain text or JSON lines. Every line logged while a
//! request is handled carries that request's `request_id`, which is also sent
//! back in the `x-request-id` header, and each request ends with one access
//! line (`request finished`).
//!
//! The relay answers a request in about 20k instructions, and a `tracing`
//! span per request plus an access line formatted through `tracing`'s event
//! machinery cost 6.6k more (BENCHMARKS.md, issue 28). So the request's id
//! is not a span: it is the *request context* of the thread while the
//! request's future is polled ([`in_request`]), which the formatters print as
//! the span they replaced (`request{request_id=…}:` in text,
//! `span.request_id` in JSON). And the access line is formatted by hand
//! ([`access`]) into the same per-thread buffer as every other line.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global subscriber once; later calls are no-ops (and return
/// `None`). Lines go to standard error in batches, like nginx's
/// `access_log … buffer=64k flush=100ms`: each thread appends its lines to a
/// buffer of its own ([`LogBuffers`]), written out when full and every
/// `flush` (`log.flush_ms`, 100 ms by default) by a timer thread. Keep the
/// guard until exit: dropping it writes out every thread's lines, and later
/// lines go out unbuffered.
#[must_use = "dropping the guard writes out the buffered lines; keep it until exit"]
pub fn init(format: &str, level: &str, flush: Duration) -> Option<FlushOnDrop> {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let buffers = Arc::new(LogBuffers::new(Box::new(std::io::stderr())));
    // try_init also routes `log` records (actix internals) into tracing.
    subscriber(format, level, ansi, BufferedLog(buffers.clone()))
        .try_init()
        .ok()?;
    let ticking = Arc::downgrade(&buffers);
    let _ = std::thread::Builder::new()
        .name("igv-relay-log-flush".into())
        .spawn(move || {
            loop {
                std::thread::sleep(flush);
                match ticking.upgrade() {
                    Some(buffers) => buffers.flush(),
                    None => break,
                }
            }
        });
    Some(FlushOnDrop(buffers))
}

/// The most a thread holds back: the memory a thread's lines can take
/// (nginx's `buffer=64k`). A full buffer is written out before the next line.
pub const BUFFER_BYTES: usize = 64 * 1024;

/// Writes out what is buffered when dropped (see [`init`]).
pub struct FlushOnDrop(Arc<LogBuffers>);

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while logging leaves whole lines behind: keep going.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Lines held back per thread, written out in batches.
///
/// One buffer per thread rather than one shared by all: the actix workers
/// never wait for each other's lines, and each thread's lines come out in the
/// order it logged them (a request is served by one worker, so its lines
/// are in order; lines of different workers are interleaved a batch at a
/// time, as nginx's workers' are). Not tracing-appender's writer thread: it
/// woke for nearly every line (a futex wake and a spinning `sched_yield`
/// loop per request under load) and cost the relay a fifth of its
/// throughput (BENCHMARKS.md).
pub struct LogBuffers {
    /// Tells this set's buffers from another's in the thread-local list.
    id: usize,
    out: Mutex<Box<dyn Write + Send>>,
    /// Every thread's buffer, for the timer and for [`LogBuffers::close`].
    threads: Mutex<Vec<Arc<Mutex<Pending>>>>,
    /// After [`LogBuffers::close`], lines are written out at once.
    closed: AtomicBool,
}

/// One thread's lines not yet written out.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    /// Whether a line came since the last flush: a buffer idle for a whole
    /// interval gives its memory back.
    active: bool,
}

thread_local! {
    /// This thread's buffer in each set of [`LogBuffers`] (one outside tests).
    static THREAD_BUFFERS: RefCell<Vec<(usize, Arc<Mutex<Pending>>)>> =
        const { RefCell::new(Vec::new()) };
}

impl LogBuffers {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        static NEXT_ID: AtomicUsize = AtomicUsize::new(0);
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            out: Mutex::new(out),
            threads: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }
    }

    /// Appends one line (or several whole lines) to this thread's buffer,
    /// writing the buffer out first if the line would not fit.
    pub fn write_line(&self, line: &[u8]) {
        let buffered = THREAD_BUFFERS.try_with(|mine| {
            let mut mine = mine.borrow_mut();
            let index = match mine.iter().position(|(id, _)| *id == self.id) {
                Some(index) => index,
                None => {
                    let pending = Arc::new(Mutex::new(Pending::default()));
                    lock(&self.threads).push(pending.clone());
                    mine.push((self.id, pending));
                    mine.len() - 1
                }
            };
            let mut pending = lock(&mine[index].1);
            // Checked under the buffer's lock, which `close` takes after
            // setting the flag: a line is either flushed by it or not held.
            if self.closed.load(Ordering::Acquire) {
                return false;
            }
            if pending.bytes.len() + line.len() > BUFFER_BYTES && !pending.bytes.is_empty() {
                self.write_out(&pending.bytes);
                pending.bytes.clear();
            }
            pending.active = true;
            if line.len() > BUFFER_BYTES {
                return false;
            }
            if pending.bytes.capacity() == 0 {
                // Exactly the bound: the buffer never grows past it.
                pending.bytes.reserve_exact(BUFFER_BYTES);
            }
            pending.bytes.extend_from_slice(line);
            true
        });
        // Closed, longer than a buffer, or logged while the thread ends.
        if buffered != Ok(true) {
            self.write_out(line);
        }
    }

    fn write_out(&self, bytes: &[u8]) {
        let mut out = lock(&self.out);
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }

    /// Writes out every thread's lines (the timer calls this every flush
    /// interval). A buffer that got no line since the last flush
    /// gives its memory back, and the buffers of threads that have ended are
    /// dropped once written out.
    pub fn flush(&self) {
        let mut threads = lock(&self.threads);
        threads.retain(|pending| {
            let mut held = lock(pending);
            if !held.bytes.is_empty() {
                self.write_out(&held.bytes);
                held.bytes.clear();
            } else if !held.active {
                held.bytes = Vec::new();
            }
            held.active = false;
            drop(held);
            // Only this list holds the buffer once its thread has ended.
            Arc::strong_count(pending) > 1
        });
    }

    /// Writes out everything held, and every later line at once: for a
    /// server that is stopping.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.flush();
    }

    /// The most bytes one thread holds back now (tests check the bound).
    #[cfg(test)]
    fn largest_capacity(&self) -> usize {
        lock(&self.threads)
            .iter()
            .map(|pending| lock(pending).bytes.capacity())
            .max()
            .unwrap_or(0)
    }
}

impl Drop for LogBuffers {
    fn drop(&mut self) {
        self.close();
    }
}

/// The `MakeWriter` of [`LogBuffers`]: each formatted line is appended to
/// the calling thread's buffer (the fmt layer writes a line with one
/// `write_all`).
#[derive(Clone)]
struct BufferedLog(Arc<LogBuffers>);

impl<'a> MakeWriter<'a> for BufferedLog {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(&self.0)
    }
}

struct LineWriter<'a>(&'a LogBuffers);

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_line(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A request's id: sent back in `x-request-id` and printed on every log line
/// logged while the request is handled. Kept inline (a proxy's id is at most
/// [`RequestId::MAX_LEN`] bytes), so giving a request its id and making it
/// the thread's request context allocate nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestId {
    len: u8,
    text: [u8; RequestId::MAX_LEN],
}

impl RequestId {
    /// The longest id taken from a proxy.
    pub const MAX_LEN: usize = 128;

    /// An id sent by a proxy, if it is short and plain enough to log and echo
    /// without escaping.
    pub fn parse(id: &str) -> Option<Self> {
        let acceptable = (1..=Self::MAX_LEN).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
        acceptable.then(|| Self::from_ascii(id.as_bytes()))
    }

    fn from_ascii(bytes: &[u8]) -> Self {
        let mut text = [0; Self::MAX_LEN];
        text[..bytes.len()].copy_from_slice(bytes);
        Self {
            len: bytes.len() as u8,
            text,
        }
    }

    /// A UUID-shaped id: 64 random bits drawn once per thread, then the
    /// thread's count of ids. Unique within a process and across restarts,
    /// without a `getrandom(2)` per request (which tracing-actix-web's UUIDv4
    /// costs; it showed in the relay's profile, BENCHMARKS.md), and without a
    /// counter the workers share (an atomic on one cache line for both cores).
    pub fn fresh() -> Self {
        use std::hash::{BuildHasher, RandomState};
        thread_local! {
            /// This thread's random bits and the number of its next id.
            static IDS: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
        }
        let random = || {
            let thread = (std::process::id(), std::thread::current().id());
            RandomState::new().hash_one(thread)
        };
        let (high, low) = IDS
            .try_with(|ids| {
                let (high, low) = ids.get().unwrap_or_else(|| (random(), 0));
                ids.set(Some((high, low.wrapping_add(1))));
                (high, low)
            })
            .unwrap_or_else(|_| (random(), 0));
        // 8-4-4-4-12 hex digits; `format!` was a tenth of the relay's time.
        let mut digits = [0u8; 32];
        hex_digits(&mut digits[..16], high);
        hex_digits(&mut digits[16..], low);
        let mut text = [b'-'; 36];
        text[..8].copy_from_slice(&digits[..8]);
        text[9..13].copy_from_slice(&digits[8..12]);
        text[14..18].copy_from_slice(&digits[12..16]);
        text[19..23].copy_from_slice(&digits[16..20]);
        text[24..].copy_from_slice(&digits[20..]);
        Self::from_ascii(&text)
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (`parse`, `fresh`).
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The id's ASCII bytes, without `as_str`'s UTF-8 check.
    pub fn as_bytes(&self) -> &[u8] {
        &self.text[..usize::from(self.len)]
    }
}

/// `value` as 16 lower-case hex digits.
fn hex_digits(out: &mut [u8], value: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, digit) in out.iter_mut().enumerate() {
        *digit = HEX[((value >> (60 - 4 * i)) & 0xf) as usize];
    }
}

impl std::fmt::Debug for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RequestId").field(&self.as_str()).finish()
    }
}

thread_local! {
    /// The request whose future this thread is polling, if any.
    static CURRENT_REQUEST: Cell<Option<RequestId>> = const { Cell::new(None) };
}

/// The request this thread is working for now (see [`in_request`]).
pub fn current_request() -> Option<RequestId> {
    CURRENT_REQUEST.try_with(Cell::get).ok().flatten()
}

/// `inner`, with `id` as the request context of whichever thread polls it:
/// every line logged meanwhile carries the id. What a `tracing` span did
/// for the request, for about a tenth of the cost (a span's creation, entry,
/// exit and close took 3.4k instructions per request; BENCHMARKS.md).
/// Threads and tasks the request starts do not inherit it, as they did not
/// inherit the span.
pub fn in_request<F: Future + Unpin>(id: RequestId, inner: F) -> InRequest<F> {
    InRequest { id, inner }
}

/// The future of [`in_request`].
pub struct InRequest<F> {
    id: RequestId,
    inner: F,
}

impl<F> InRequest<F> {
    pub fn id(&self) -> &RequestId {
        &self.id
    }
}

impl<F: Future + Unpin> Future for InRequest<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        with_request(this.id, || Pin::new(&mut this.inner).poll(cx))
    }
}

/// Runs `f` with `id` as this thread's request context.
fn with_request<R>(id: RequestId, f: impl FnOnce() -> R) -> R {
    /// Restores the outer context even if `f` panics.
    struct Restore(Option<RequestId>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = CURRENT_REQUEST.try_with(|current| current.set(self.0));
        }
    }
    let _restore = Restore(
        CURRENT_REQUEST
            .try_with(|c| c.replace(Some(id)))
            .ok()
            .flatten(),
    );
    f()
}

/// The target of access lines: they were logged by the middleware, and
/// filters such as `igv_relay::middleware=warn` still turn them off.
const ACCESS_TARGET: &str = "igv_relay::middleware";

/// What one access line says about a request.
pub struct Access<'a> {
    pub id: &'a RequestId,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub micros: u64,
}

/// Logs a request's access line,
/// `… INFO request{request_id=…}: igv_relay::middleware: request finished
/// method=GET path=/igv/goto status=303 micros=41` (or the same as JSON),
/// when the log filter lets INFO lines of `igv_relay::middleware` through.
///
/// With this module's subscriber the line is formatted by hand and goes
/// straight to the log's buffer: the same text as a `tracing` event, without
/// its dispatch, field visitors and `fmt` calls (4k instructions per
/// request, BENCHMARKS.md). Under any other subscriber it is an event with
/// the id as a field.
pub fn access(line: &Access<'_>) {
    if !tracing::enabled!(target: ACCESS_TARGET, Level::INFO) {
        return;
    }
    let written = tracing::dispatcher::get_default(|dispatch| {
        let format = dispatch.downcast_ref::<LineFormat>();
        format.map(|format| format.write_access(line)).is_some()
    });
    // Outside `get_default`, which turns off nested dispatch.
    if !written {
        tracing::info!(
            target: ACCESS_TARGET,
            request_id = %line.id.as_str(),
            method = %line.method,
            path = %line.path,
            status = u64::from(line.status),
            micros = line.micros,
            "request finished"
        );
    }
}

/// The subscriber `init` installs, writing to `writer` (with colours only when
/// `ansi`: container logs are not terminals). With `format = json`
/// each line is one JSON object whose `span`/`spans` fields hold the request's
/// context (`request_id`), as a span's fields would be.
pub fn subscriber<W>(
    format: &str,
    level: &str,
    ansi: bool,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Clone + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let access_writer = writer.clone();
    let lines = LineFormat {
        json: format == "json",
        ansi,
        out: Arc::new(move |line: &[u8]| {
            let _ = access_writer.make_writer().write_all(line);
        }),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer);
    if lines.json {
        Box::new(
            builder
                .fmt_fields(JsonFields::new())
                .event_format(lines)
                .finish(),
        )
    } else {
        Box::new(builder.fmt_fields(PlainFields).event_format(lines).finish())
    }
}

/// The line format of every log line, and the writer of access lines (which
/// [`access`] finds in the subscriber).
///
/// Text, as logged to files and containers: the same line as
/// tracing-subscriber's default format,
/// `2026-11-26T10:46:34.580980Z  INFO request{request_id=…}: target: message k=v`,
/// written directly. The default format paints every part of the line with an
/// (empty) style even with colours off, and that was most of the cost of the
/// relay's access line (BENCHMARKS.md). With `ansi` only the level is
/// coloured.
///
/// JSON: the objects of tracing-subscriber's JSON format (`timestamp`,
/// `level`, `fields`, `target`, `span`, `spans`), with the request context
/// as the outermost span.
struct LineFormat {
    json: bool,
    ansi: bool,
    /// Where access lines go: the subscriber's own writer.
    out: WriteLine,
}

/// Writes one whole line to a subscriber's writer.
type WriteLine = Arc<dyn Fn(&[u8]) + Send + Sync>;

impl LineFormat {
    fn level_text(&self, level: Level) -> &'static str {
        match (self.ansi, level) {
            (false, Level::ERROR) => " ERROR ",
            (false, Level::WARN) => "  WARN ",
            (false, Level::INFO) => "  INFO ",
            (false, Level::DEBUG) => " DEBUG ",
            (false, Level::TRACE) => " TRACE ",
            (true, Level::ERROR) => " \x1b[31mERROR\x1b[0m ",
            (true, Level::WARN) => "  \x1b[33mWARN\x1b[0m ",
            (true, Level::INFO) => "  \x1b[32mINFO\x1b[0m ",
            (true, Level::DEBUG) => " \x1b[34mDEBUG\x1b[0m ",
            (true, Level::TRACE) => " \x1b[35mTRACE\x1b[0m ",
        }
    }

    /// One access line, built in a reused per-thread buffer and handed to
    /// the writer whole. Bytes rather than a `String`: the id and the
    /// timestamp are ASCII bytes, and turning them into `&str` first cost a
    /// UTF-8 check each (470 instructions a request).
    fn write_access(&self, line: &Access<'_>) {
        thread_local! {
            static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        let _ = SCRATCH.try_with(|scratch| {
            let mut text = scratch.borrow_mut();
            text.clear();
            if self.json {
                self.json_access(&mut text, line);
            } else {
                self.text_access(&mut text, line);
            }
            (self.out)(&text);
        });
    }

    fn text_access(&self, text: &mut Vec<u8>, line: &Access<'_>) {
        text.extend_from_slice(&timestamp().0);
        text.extend_from_slice(self.level_text(Level::INFO).as_bytes());
        text.extend_from_slice(b"request{request_id=");
        text.extend_from_slice(line.id.as_bytes());
        text.extend_from_slice(b"}: ");
        text.extend_from_slice(ACCESS_TARGET.as_bytes());
        text.extend_from_slice(b": request finished method=");
        text.extend_from_slice(line.method.as_bytes());
        text.extend_from_slice(b" path=");
        text.extend_from_slice(line.path.as_bytes());
        text.extend_from_slice(b" status=");
        text.extend_from_slice(itoa::Buffer::new().format(line.status).as_bytes());
        text.extend_from_slice(b" micros=");
        text.extend_from_slice(itoa::Buffer::new().format(line.micros).as_bytes());
        text.push(b'\n');
    }

    fn json_access(&self, text: &mut Vec<u8>, line: &Access<'_>) {
        text.extend_from_slice(b"{\"timestamp\":\"");
        text.extend_from_slice(&timestamp().0);
        text.extend_from_slice(
            b"\",\"level\":\"INFO\",\"fields\":{\"message\":\"request finished\",\"method\":",
        );
        push_json_str(text, line.method);
        text.extend_from_slice(b",\"path\":");
        push_json_str(text, line.path);
        text.extend_from_slice(b",\"status\":");
        text.extend_from_slice(itoa::Buffer::new().format(line.status).as_bytes());
        text.extend_from_slice(b",\"micros\":");
        text.extend_from_slice(itoa::Buffer::new().format(line.micros).as_bytes());
        text.extend_from_slice(b"},\"target\":\"");
        text.extend_from_slice(ACCESS_TARGET.as_bytes());
        text.push(b'"');
        push_json_request_spans(text, line.id, &[]);
        text.extend_from_slice(b"}\n");
    }

    fn format_text<S, N>(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
        N: for<'a> FormatFields<'a> + 'static,
    {
        let meta = event.metadata();
        writer.write_str(timestamp().as_str())?;
        writer.write_str(self.level_text(*meta.level()))?;
        let request = current_request();
        let scope = ctx.event_scope();
        if request.is_some() || scope.is_some() {
            if let Some(id) = request {
                writer.write_str("request{request_id=")?;
                writer.write_str(id.as_str())?;
                writer.write_str("}:")?;
            }
            for span in scope.into_iter().flat_map(|scope| scope.from_root()) {
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

    fn format_json<S, N>(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
        N: for<'a> FormatFields<'a> + 'static,
    {
        let meta = event.metadata();
        let mut text = Vec::with_capacity(256);
        text.extend_from_slice(b"{\"timestamp\":\"");
        text.extend_from_slice(&timestamp().0);
        text.extend_from_slice(b"\",\"level\":\"");
        text.extend_from_slice(meta.level().as_str().as_bytes());
        text.extend_from_slice(b"\",\"fields\":{");
        let mut fields = JsonEventFields {
            text: &mut text,
            first: true,
            log_target: None,
        };
        event.record(&mut fields);
        // A `log` record's own target, as tracing-subscriber's JSON format
        // reports it (its metadata's target is `log`).
        let target = fields.log_target.take();
        text.extend_from_slice(b"},\"target\":");
        push_json_str(&mut text, target.as_deref().unwrap_or(meta.target()));
        let spans: Vec<Vec<u8>> = ctx
            .event_scope()
            .into_iter()
            .flat_map(|scope| scope.from_root())
            .map(|span| {
                let extensions = span.extensions();
                let fields = extensions
                    .get::<FormattedFields<N>>()
                    .map(|f| f.fields.as_str())
                    .unwrap_or_default();
                json_span(fields, span.name())
            })
            .collect();
        match current_request() {
            Some(id) => push_json_request_spans(&mut text, &id, &spans),
            None => {
                if let Some(current) = spans.last() {
                    text.extend_from_slice(b",\"span\":");
                    text.extend_from_slice(current);
                    text.extend_from_slice(b",\"spans\":[");
                    text.extend_from_slice(&spans.join(&b","[..]));
                    text.push(b']');
                }
            }
        }
        text.extend_from_slice(b"}\n");
        writer.write_str(std::str::from_utf8(&text).map_err(|_| std::fmt::Error)?)
    }
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        if self.json {
            self.format_json(ctx, writer, event)
        } else {
            self.format_text(ctx, writer, event)
        }
    }
}

/// `,"span":…,"spans":[…]` for a line logged in request `id`, inside the
/// real spans `inner` (JSON objects, outermost first): the request is the
/// outermost span.
fn push_json_request_spans(text: &mut Vec<u8>, id: &RequestId, inner: &[Vec<u8>]) {
    let request = |text: &mut Vec<u8>| {
        text.extend_from_slice(b"{\"request_id\":\"");
        text.extend_from_slice(id.as_bytes());
        text.extend_from_slice(b"\",\"name\":\"request\"}");
    };
    text.extend_from_slice(b",\"span\":");
    match inner.last() {
        Some(span) => text.extend_from_slice(span),
        None => request(text),
    }
    text.extend_from_slice(b",\"spans\":[");
    request(text);
    for span in inner {
        text.push(b',');
        text.extend_from_slice(span);
    }
    text.push(b']');
}

/// A span as tracing-subscriber's JSON format shows it: its fields (recorded
/// as a JSON object by `JsonFields`), then its `name`.
fn json_span(fields: &str, name: &str) -> Vec<u8> {
    let inner = fields
        .trim()
        .strip_prefix('{')
        .and_then(|f| f.strip_suffix('}'))
        .unwrap_or_default();
    let mut text = Vec::with_capacity(inner.len() + name.len() + 12);
    text.push(b'{');
    text.extend_from_slice(inner.as_bytes());
    if !inner.is_empty() {
        text.push(b',');
    }
    text.extend_from_slice(b"\"name\":");
    push_json_str(&mut text, name);
    text.push(b'}');
    text
}

/// `s` as a JSON string, escaped as serde_json escapes it.
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut start = 0;
    for (i, &byte) in s.as_bytes().iter().enumerate() {
        let escaped: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&s.as_bytes()[start..i]);
        if escaped.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        } else {
            out.extend_from_slice(escaped);
        }
        start = i + 1;
    }
    out.extend_from_slice(&s.as_bytes()[start..]);
    out.push(b'"');
}

/// An event's fields as the members of a JSON object, in order: strings and
/// `Debug` values as strings, numbers and booleans as themselves.
struct JsonEventFields<'a> {
    text: &'a mut Vec<u8>,
    first: bool,
    log_target: Option<String>,
}

impl JsonEventFields<'_> {
    fn key(&mut self, field: &Field) {
        if !std::mem::replace(&mut self.first, false) {
            self.text.push(b',');
        }
        push_json_str(self.text, field.name());
        self.text.push(b':');
    }

    fn raw(&mut self, field: &Field, value: &str) {
        self.key(field);
        self.text.extend_from_slice(value.as_bytes());
    }
}

impl Visit for JsonEventFields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name().starts_with("log.") {
            return;
        }
        self.key(field);
        push_json_str(self.text, &format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "log.target" {
            self.log_target = Some(value.to_owned());
        }
        if field.name().starts_with("log.") {
            return;
        }
        self.key(field);
        push_json_str(self.text, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.raw(field, itoa::Buffer::new().format(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if !field.name().starts_with("log.") {
            self.raw(field, itoa::Buffer::new().format(value));
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        let number = serde_json::Value::from(value).to_string();
        self.raw(field, &number);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.raw(field, if value { "true" } else { "false" });
    }
}

/// `2026-11-26T10:46:34.580980Z`: RFC 3339 in UTC with microseconds.
struct Timestamp([u8; 27]);

impl Timestamp {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Now, as a [`Timestamp`]. The date and time of day are formatted once a
/// second per thread and only the microseconds per line (humantime's
/// formatter per line was 500 instructions of the relay's access line).
fn timestamp() -> Timestamp {
    thread_local! {
        /// The second last formatted, and `2026-11-26T10:46:34.` for it.
        static SECOND: Cell<(u64, [u8; 20])> = const { Cell::new((u64::MAX, [0; 20])) };
    }
    let now = SystemTime::now();
    let since_epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let mut prefix = SECOND.try_with(Cell::get).unwrap_or((u64::MAX, [0; 20]));
    if prefix.0 != seconds {
        let mut text = [0u8; 20];
        // `2026-11-26T10:46:34Z`: all but the `Z`, then the decimal point.
        let _ = write!(
            &mut text[..],
            "{}",
            humantime::format_rfc3339_seconds(
                SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
            )
        );
        text[19] = b'.';
        prefix = (seconds, text);
        let _ = SECOND.try_with(|second| second.set(prefix));
    }
    let mut out = [b'0'; 27];
    out[..20].copy_from_slice(&prefix.1);
    let mut micros = since_epoch.subsec_micros();
    for digit in out[20..26].iter_mut().rev() {
        *digit = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    out[26] = b'Z';
    Timestamp(out)
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

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

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
    fn buffered_lines_are_written_out_by_a_flush_or_on_close_in_the_order_logged() {
        let out = Captured::default();
        let buffers = LogBuffers::new(Box::new(out.clone()));
        buffers.write_line(b"one\n");
        buffers.write_line(b"two\n");
        assert!(out.text().is_empty(), "held back until a flush");
        buffers.flush();
        assert_eq!(out.text(), "one\ntwo\n");
        buffers.write_line(b"three\n");
        buffers.close();
        assert_eq!(out.text(), "one\ntwo\nthree\n");
        buffers.write_line(b"four\n");
        assert_eq!(
            out.text(),
            "one\ntwo\nthree\nfour\n",
            "unbuffered once closed"
        );
    }

    #[test]
    fn each_thread_buffers_its_own_lines_and_an_ended_threads_lines_are_kept() {
        let out = Captured::default();
        let buffers = Arc::new(LogBuffers::new(Box::new(out.clone())));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let buffers = buffers.clone();
                std::thread::spawn(move || {
                    for i in 0..100 {
                        buffers.write_line(format!("thread {t} line {i}\n").as_bytes());
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(out.text().is_empty(), "nothing full, nothing flushed yet");
        buffers.flush();
        let text = out.text();
        for t in 0..4 {
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            let expected: Vec<String> = (0..100).map(|i| format!("thread {t} line {i}")).collect();
            assert_eq!(lines, expected, "thread {t}'s lines, whole and in order");
        }
        assert_eq!(
            lock(&buffers.threads).len(),
            0,
            "ended threads' buffers dropped"
        );
    }

    #[test]
    fn a_thread_never_holds_more_than_the_buffer_bound() {
        let out = Captured::default();
        let buffers = LogBuffers::new(Box::new(out.clone()));
        let line = format!("{}\n", "x".repeat(999));
        let mut written = 0;
        for _ in 0..1000 {
            buffers.write_line(line.as_bytes());
            written += line.len();
            assert!(buffers.largest_capacity() <= BUFFER_BYTES);
        }
        let held = written - out.0.lock().unwrap().len();
        assert!(held > 0 && held <= BUFFER_BYTES, "{held} bytes held back");
        // A line longer than the bound goes out at once, after what was held.
        let long = format!("{}\n", "y".repeat(BUFFER_BYTES));
        buffers.write_line(long.as_bytes());
        assert_eq!(out.0.lock().unwrap().len(), written + long.len());
        assert!(out.text().ends_with(&long));
        // A buffer idle for a whole interval gives its memory back.
        buffers.flush();
        buffers.flush();
        assert_eq!(buffers.largest_capacity(), 0);
    }

    #[test]
    fn fresh_request_ids_are_uuid_shaped_and_distinct_and_proxy_ids_are_checked() {
        let a = RequestId::fresh();
        let b = RequestId::fresh();
        assert_ne!(a, b);
        let text = a.as_str();
        assert_eq!(text.len(), 36);
        for (i, c) in text.char_indices() {
            match i {
                8 | 13 | 18 | 23 => assert_eq!(c, '-', "{text}"),
                _ => assert!(c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{text}"),
            }
        }
        // Each thread counts its own ids after random bits of its own.
        let ids: std::collections::BTreeSet<String> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    (0..100)
                        .map(|_| RequestId::fresh().as_str().to_owned())
                        .collect::<Vec<_>>()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flat_map(|thread| thread.join().unwrap())
            .collect();
        assert_eq!(ids.len(), 400);
        let first = RequestId::fresh();
        let second = RequestId::fresh();
        assert_eq!(first.as_str()[..19], second.as_str()[..19]);
        assert_ne!(first.as_str()[19..], second.as_str()[19..]);
        assert_eq!(
            RequestId::parse("nginx-7f3a9c.42").map(|id| id.as_str().to_owned()),
            Some("nginx-7f3a9c.42".to_owned())
        );
        for bad in ["", "two words", "a\"b", &"x".repeat(129), "é"] {
            assert_eq!(RequestId::parse(bad), None, "{bad:?}");
        }
        assert!(RequestId::parse(&"x".repeat(128)).is_some());
    }

    #[test]
    fn timestamps_are_rfc3339_with_microseconds_and_follow_the_clock() {
        let before = SystemTime::now();
        let stamp = timestamp();
        let after = SystemTime::now();
        let text = stamp.as_str();
        assert_eq!(text.len(), 27, "{text}");
        let parsed = humantime::parse_rfc3339(text).unwrap();
        let slack = Duration::from_micros(1);
        assert!(parsed + slack >= before && parsed <= after, "{text}");
    }

    fn lines_of(format: &str, log: impl FnOnce()) -> Vec<String> {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = subscriber(format, "info", false, move || writer.clone());
        tracing::subscriber::with_default(subscriber, log);
        logs.text().lines().map(str::to_owned).collect()
    }

    #[test]
    fn plain_lines_carry_time_level_span_target_message_and_fields() {
        let lines = lines_of("text", || {
            let span = tracing::info_span!("request", request_id = %"abc-1");
            span.in_scope(|| {
                tracing::info!(method = %"GET", path = "/a b", status = 303_u64, "request finished");
                tracing::debug!("below the level: not written");
            });
            tracing::warn!(reason = ?Some(1), "outside any span");
        });
        assert_eq!(lines.len(), 2, "{lines:?}");
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

    #[test]
    fn lines_logged_in_a_request_carry_its_id_as_a_span_would() {
        let id = RequestId::parse("req-7").unwrap();
        let lines = lines_of("text", || {
            with_request(id, || {
                tracing::info!(command = "goto", "relayed to IGV");
                let span = tracing::info_span!("inner", n = 2_u64);
                span.in_scope(|| tracing::info!("nested"));
            });
            tracing::info!("after the request");
        });
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].ends_with(
                "  INFO request{request_id=req-7}: igv_relay::telemetry::tests: \
                 relayed to IGV command=\"goto\""
            ),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].ends_with(
                "  INFO request{request_id=req-7}:inner{n=2}: igv_relay::telemetry::tests: nested"
            ),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].ends_with("  INFO igv_relay::telemetry::tests: after the request"),
            "{}",
            lines[2]
        );
        assert_eq!(current_request(), None, "the context ends with the request");
    }

    /// The same events through tracing-subscriber's own JSON format, with a
    /// span where this module has the request context.
    fn reference_json_lines(log: impl FnOnce()) -> Vec<serde_json::Value> {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("info"))
            .with_writer(move || writer.clone())
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        json_values(&logs.text())
    }

    fn json_values(text: &str) -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| {
                let mut value: serde_json::Value = serde_json::from_str(l).expect("JSON");
                value["timestamp"] = "T".into();
                value
            })
            .collect()
    }

    #[test]
    fn json_lines_are_tracing_subscribers_json_with_the_request_as_a_span() {
        let events = |in_request: &dyn Fn(&dyn Fn())| {
            in_request(&|| {
                tracing::info!(command = "goto", n = 3_u64, ok = true, quote = %"a\"b\n", "relayed");
                let span = tracing::info_span!("inner", k = "v");
                span.in_scope(|| tracing::warn!(x = -1_i64, "nested"));
            });
            tracing::error!(reason = ?Some("x"), "outside");
        };
        let expected = reference_json_lines(|| {
            events(&|f| {
                let span = tracing::info_span!("request", request_id = %"req-9");
                span.in_scope(f);
            })
        });
        let logs = Captured::default();
        let writer = logs.clone();
        let ours = subscriber("json", "info", false, move || writer.clone());
        let id = RequestId::parse("req-9").unwrap();
        tracing::subscriber::with_default(ours, || events(&|f| with_request(id, f)));
        let actual = json_values(&logs.text());
        assert_eq!(actual, expected);
        assert_eq!(actual[0]["span"]["request_id"], "req-9");
    }

    #[test]
    fn access_lines_are_the_lines_the_access_event_would_be() {
        let id = RequestId::parse("req-5").unwrap();
        let access_line = || {
            access(&Access {
                id: &id,
                method: "GET",
                path: "/igv/goto\"x",
                status: 303,
                micros: 41,
            });
        };
        let text = lines_of("text", access_line);
        assert_eq!(text.len(), 1);
        assert_eq!(
            text[0].split_once(' ').unwrap().1,
            " INFO request{request_id=req-5}: igv_relay::middleware: \
             request finished method=GET path=/igv/goto\"x status=303 micros=41"
        );
        let logs = Captured::default();
        let writer = logs.clone();
        let ours = subscriber("json", "info", false, move || writer.clone());
        tracing::subscriber::with_default(ours, access_line);
        let expected = reference_json_lines(|| {
            let span = tracing::info_span!("request", request_id = %"req-5");
            span.in_scope(|| {
                tracing::info!(
                    target: "igv_relay::middleware",
                    method = %"GET",
                    path = %"/igv/goto\"x",
                    status = 303_u64,
                    micros = 41_u64,
                    "request finished"
                );
            });
        });
        assert_eq!(json_values(&logs.text()), expected);
        // Filtered out like the event it stands for.
        let logs = Captured::default();
        let writer = logs.clone();
        let quiet = subscriber(
            "text",
            "info,igv_relay::middleware=warn",
            false,
            move || writer.clone(),
        );
        tracing::subscriber::with_default(quiet, access_line);
        assert_eq!(logs.text(), "");
    }
}
