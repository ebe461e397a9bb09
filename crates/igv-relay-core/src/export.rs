//! An export of a view (TSV, JSON, IGV batch, both sessions): planned while
//! the request waits, so that a file that cannot be read, a choice it cannot
//! honour or a sort too large is still an error response; then written on
//! a thread of its own, as the file is read, with the writer of its format.
//! A large plain or bgzipped file's TSV is read in stretches on several
//! threads.

use std::io::{self, BufRead};
use std::sync::Arc;

use crate::domain::assembly::GenomeEvidence;
use crate::error::CoreError;
use crate::formats::{self, FormatKind, RecordStream};
use crate::rows::{RowReader, RowSink, read_in_stretches};
use crate::sinks::batch::BatchSink;
use crate::sinks::igv_session::{SessionSink, SessionSpec, Xml};
use crate::sinks::igv3_session::Igv3Json;
use crate::sinks::igvjs_session::Json;
use crate::sinks::json::JsonSink;
use crate::sinks::tsv::TsvSink;
use crate::sinks::{ExportFormat, ExportOut};
use crate::view::{FileView, OpenRows, Purpose, SortOrders, Source, Triage, ViewContext, ViewSpec};
use crate::words::group;

/// Most records a sorted export holds to write them in order.
pub const MAX_SORTED_EXPORT_ROWS: usize = 100_000;

/// Everything an export's writer needs, owned (see the module comment).
pub struct ExportPlan {
    pub format: ExportFormat,
    kind: FormatKind,
    spec: ViewSpec,
    source: Source,
    /// What the file's header said, for the writer to decide the genome
    /// as the request did.
    evidence: Option<GenomeEvidence>,
    /// The view's rows in sort order, for a sorted export.
    order: Option<Arc<Vec<u64>>>,
    /// The file, its header read and its choices checked.
    stream: Box<dyn RecordStream + Send>,
    /// Threads a TSV export in stretches may use; 1 writes every export on one.
    threads: usize,
}

impl ExportPlan {
    /// Plans `format` of `view` over `input`.
    pub fn new(
        mut view: FileView<'_>,
        input: Box<dyn BufRead + Send>,
        format: ExportFormat,
        orders: Option<&SortOrders>,
        threads: usize,
    ) -> Result<Self, CoreError> {
        let input = view.decide(input)?;
        if format == ExportFormat::Igv3Session && !SessionSpec::of(&view).igv3_ready() {
            // IGV 3's session reader throws on a session without a genome.
            return Err(CoreError::choice(
                "genome",
                "",
                "an IGV 3 session must name its genome (IGV 3 refuses one without), and this \
                 view has none: choose one with ?genome=, or use the XML session \
                 (?format=igv-session), which keeps IGV's current genome",
            ));
        }
        let order = match &view.spec.choices.sort_text {
            None => None,
            Some(_) => {
                let OpenRows { triage, .. } =
                    view.open(Purpose::SortKeys, false, view.reread()?)?;
                Some(view.sort_order(&triage, orders)?.order)
            }
        };
        if let Some(order) = &order
            && order.len() > MAX_SORTED_EXPORT_ROWS
        {
            return Err(CoreError::Unreadable(format!(
                "a sorted export holds its records in memory and is limited to {} of them; \
                 this view has {}: narrow it with a filter, or export it unsorted",
                group(MAX_SORTED_EXPORT_ROWS as u64),
                group(order.len() as u64)
            )));
        }
        // Exports read the whole file: inflating ahead on a second thread
        // keeps the parsing thread busy.
        let purpose = Purpose::Export {
            columns: !view.spec.links_only,
        };
        let stream = formats::open(view.kind, input, &view.read_options(purpose, true))?;
        Triage::resolve(&view.spec.choices, stream.as_ref())?;
        Ok(Self {
            format,
            kind: view.kind,
            evidence: view.evidence().cloned(),
            spec: view.spec,
            source: view.source,
            order,
            stream,
            threads,
        })
    }

    /// The name the export is saved under.
    pub fn file_name(&self) -> String {
        self.format.file_name(&self.source.export_name)
    }

    /// Writes the export into `out`; stops at the first error (`out` failing:
    /// the client went away).
    pub fn write<W: ExportOut>(self, ctx: ViewContext<'_>, out: W) -> io::Result<W> {
        let mut view =
            FileView::new(ctx, self.kind, self.spec, self.source).map_err(io::Error::other)?;
        if let Some(evidence) = self.evidence {
            view.decide_from(evidence);
        }
        let columns = !view.spec.links_only;
        let purpose = Purpose::Export { columns };
        let triage =
            Triage::resolve(&view.spec.choices, self.stream.as_ref()).map_err(io::Error::other)?;
        let mut reader = RowReader::new(self.stream, view.rules(purpose, &triage));
        let names = columns.then(|| triage.columns(reader.stream().columns()));
        let order = self.order.as_deref().map(Vec::as_slice);
        let rows = Rows {
            view: &view,
            triage: &triage,
            order,
        };
        match self.format {
            ExportFormat::Tsv => rows.tsv(reader, names, self.threads, out),
            ExportFormat::Json => {
                let mut sink = JsonSink::new(&view, &triage, names, out)?;
                rows.read(&mut reader, &mut sink)?;
                sink.finish()
            }
            ExportFormat::IgvBatch => {
                let mut sink = BatchSink::new(&view, out)?;
                rows.read(&mut reader, &mut sink)?;
                sink.finish()
            }
            ExportFormat::IgvSession => {
                let mut sink = SessionSink::<W, Xml>::new(SessionSpec::of(&view), out);
                rows.read(&mut reader, &mut sink)?;
                sink.finish()
            }
            ExportFormat::Igv3Session => {
                let mut sink = SessionSink::<W, Igv3Json>::new(SessionSpec::of(&view), out);
                rows.read(&mut reader, &mut sink)?;
                sink.finish()
            }
            ExportFormat::IgvJsSession => {
                let mut sink = SessionSink::<W, Json>::new(SessionSpec::of(&view), out);
                rows.read(&mut reader, &mut sink)?;
                sink.finish()
            }
        }
    }
}

/// The rows an export writes: in file order, or in the view's sort order.
struct Rows<'v> {
    view: &'v FileView<'v>,
    triage: &'v Triage,
    order: Option<&'v [u64]>,
}

impl<'v> Rows<'v> {
    fn read<S: RowSink>(&self, reader: &mut RowReader<'_>, sink: &mut S) -> io::Result<()> {
        match self.order {
            // A sorted export collects its rows first (bounded, see `ExportPlan::new`).
            Some(order) => reader.read_selected(order, None, sink),
            None => reader.read_all(None, sink).map(drop),
        }
    }

    /// The TSV export: in stretches on several threads when the file is a
    /// large plain or BGZF one and the export is not sorted.
    fn tsv<W: ExportOut>(
        &self,
        mut reader: RowReader<'_>,
        names: Option<Vec<String>>,
        threads: usize,
        out: W,
    ) -> io::Result<W> {
        let view = self.view;
        let mut sink = TsvSink::new(view, self.triage, names.as_deref(), out)?;
        let stretched = match self.order {
            None => view.stretched_file(&reader, threads),
            Some(_) => None,
        };
        let Some(file) = stretched else {
            self.read(&mut reader, &mut sink)?;
            return sink.finish();
        };
        // The workers read the file themselves.
        drop(reader);
        let purpose = Purpose::Export {
            columns: names.is_some(),
        };
        let (part, join) = sink.split();
        read_in_stretches(
            threads,
            &file,
            || view.open_header(purpose, file.path, self.triage),
            part,
            join,
            None,
        )?;
        sink.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::Path;

    use super::*;
    use crate::domain::genome::GenomeId;
    use crate::rows::Filters;
    use crate::testing::{TestContext, large_test_vcf};
    use crate::view::{GenomeWish, TriageChoices};

    /// The TSV export of `path` (a VCF over hg38) with these choices.
    fn export<W: ExportOut>(path: &Path, spec: &ViewSpec, threads: usize, out: W) -> io::Result<W> {
        let test = TestContext::new();
        let source = Source {
            name: "large.vcf".into(),
            export_name: "large.vcf".into(),
            local_path: Some(path.to_path_buf()),
            ..Source::default()
        };
        let view = FileView::new(test.ctx(), FormatKind::Vcf, spec.clone(), source).unwrap();
        let input = Box::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let plan = ExportPlan::new(view, input, ExportFormat::Tsv, None, threads).unwrap();
        plan.write(test.ctx(), out)
    }

    fn spec(filters: Filters, choices: TriageChoices, links_only: bool) -> ViewSpec {
        ViewSpec {
            genome: GenomeWish {
                explicit: Some(GenomeId::parse("hg38").unwrap()),
                default: None,
            },
            filters,
            choices,
            links_only,
            ..ViewSpec::default()
        }
    }

    /// The views the tests below export: with columns, links only, with
    /// conditions, PASS only with a chosen column; conditions and PASS only
    /// also links only (rows read without noodles' record, and with it for
    /// the conditions' values).
    fn views() -> [ViewSpec; 6] {
        let conditions = |text: &str| TriageChoices {
            where_text: Some(text.to_owned()),
            ..TriageChoices::default()
        };
        let pass = Filters {
            pass_only: true,
            ..Filters::default()
        };
        [
            spec(Filters::default(), TriageChoices::default(), false),
            spec(Filters::default(), TriageChoices::default(), true),
            spec(Filters::default(), conditions("Impact=HIGH; DP>=20"), false),
            spec(Filters::default(), conditions("Impact=HIGH; DP>=20"), true),
            spec(pass.clone(), TriageChoices::default(), true),
            spec(
                pass,
                TriageChoices {
                    cols: Some(vec!["DP".into()]),
                    ..TriageChoices::default()
                },
                false,
            ),
        ]
    }

    /// Every view of `path` exported on 2 and 3 threads is what one thread writes.
    fn assert_threads_write_what_one_thread_writes(path: &Path) {
        for spec in views() {
            let one = export(path, &spec, 1, Vec::new()).unwrap();
            let lines = one.iter().filter(|b| **b == b'\n').count();
            assert!(lines > 1_000, "{spec:?}: {lines} lines");
            for threads in [2, 3] {
                let stretched = export(path, &spec, threads, Vec::new()).unwrap();
                assert!(
                    one == stretched,
                    "{spec:?} on {threads} threads: {} vs {} bytes",
                    stretched.len(),
                    one.len()
                );
            }
        }
    }

    /// The file at `path` bgzipped (blocks of 64 KiB, so lines cross them).
    fn bgzipped(path: &Path) -> tempfile::NamedTempFile {
        let mut writer = noodles::bgzf::io::Writer::new(tempfile::NamedTempFile::new().unwrap());
        writer.write_all(&std::fs::read(path).unwrap()).unwrap();
        writer.finish().unwrap()
    }

    #[test]
    fn an_export_in_stretches_is_byte_for_byte_the_export_on_one_thread() {
        let (file, [records, malformed, long]) = large_test_vcf();
        assert_threads_write_what_one_thread_writes(file.path());
        // What one thread wrote is right to begin with: every record has its
        // row, the long line and the malformed ones included.
        let links_only = spec(Filters::default(), TriageChoices::default(), true);
        let all =
            String::from_utf8(export(file.path(), &links_only, 1, Vec::new()).unwrap()).unwrap();
        let rows: Vec<&str> = all
            .lines()
            .filter(|l| !l.starts_with('#'))
            .skip(1)
            .collect();
        assert_eq!(rows.len(), records + malformed + long);
        assert!(rows.iter().any(|r| r.contains("more than the limit")));
        assert!(rows.last().unwrap().contains("chr2:77"));
    }

    /// A client that goes away: its output fails after the first chunk.
    struct GoneAfterOneChunk {
        chunks: usize,
    }

    impl Write for GoneAfterOneChunk {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            Ok(data.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl ExportOut for GoneAfterOneChunk {
        fn write_chunk(&mut self, _chunk: Vec<u8>) -> io::Result<()> {
            self.chunks += 1;
            if self.chunks > 1 {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "gone"));
            }
            Ok(())
        }
    }

    #[test]
    fn a_bgzipped_export_on_several_threads_is_byte_for_byte_the_export_on_one_thread() {
        let (file, _) = large_test_vcf();
        let bgzf = bgzipped(file.path());
        let text = std::fs::read(file.path()).unwrap().len() as u64;
        assert!(std::fs::metadata(bgzf.path()).unwrap().len() < text / 4);
        assert_eq!(
            formats::bgzf_inflated_len(bgzf.path()).unwrap(),
            Some(text),
            "a BGZF file throughout, read in stretches"
        );
        assert_threads_write_what_one_thread_writes(bgzf.path());
        // The same rows as the plain file's.
        let links_only = spec(Filters::default(), TriageChoices::default(), true);
        assert!(
            export(bgzf.path(), &links_only, 2, Vec::new()).unwrap()
                == export(file.path(), &links_only, 1, Vec::new()).unwrap()
        );
    }

    #[test]
    fn an_output_that_fails_stops_the_threads_of_a_stretched_export() {
        assert_a_failed_output_stops_the_threads(false);
    }

    #[test]
    fn an_output_that_fails_stops_the_threads_of_a_bgzipped_export() {
        assert_a_failed_output_stops_the_threads(true);
    }

    fn assert_a_failed_output_stops_the_threads(bgzipped_file: bool) {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (file, _) = large_test_vcf();
            let file = match bgzipped_file {
                true => bgzipped(file.path()),
                false => file,
            };
            let spec = spec(Filters::default(), TriageChoices::default(), false);
            let written = export(file.path(), &spec, 2, GoneAfterOneChunk { chunks: 0 });
            // `write` returns once the workers under it have ended.
            let _ = done_tx.send(written.err().map(|e| e.kind()));
        });
        let ended = done_rx.recv_timeout(std::time::Duration::from_secs(60));
        assert_eq!(
            ended,
            Ok(Some(io::ErrorKind::BrokenPipe)),
            "the export's threads still ran a minute after its output failed"
        );
    }
}
