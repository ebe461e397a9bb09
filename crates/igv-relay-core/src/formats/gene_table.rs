//! Gene-level result tables (issue 25): DESeq2, edgeR, limma and
//! featureCounts results, whose rows name a gene (an Ensembl id with or
//! without its `.version`, or a symbol) and carry no coordinates. The stream
//! yields each row with no interval and the gene as its label; the row
//! reader resolves the label through the view's genome's gene annotation
//! (`rows::resolver`), since only the view knows the genome.
//!
//! | tool | gene column | columns that name the tool |
//! |---|---|---|
//! | DESeq2 (`write.csv(results(dds))`) | unnamed first column (R row names) | `baseMean`, `log2FoldChange`, `lfcSE`, `padj` |
//! | edgeR (`topTags`) | row names, or `genes`/`Symbol` | `logFC`, `logCPM`, `FDR` |
//! | limma (`topTable`) | row names, or `ID`/`Symbol` | `logFC`, `AveExpr`, `adj.P.Val` |
//! | featureCounts | `Geneid` | `Geneid` with `Length` |
//!
//! R's `write.table` writes a header one name shorter than the rows (the
//! row names have no name): the first data line says so, and the gene
//! column is then called [`ROW_NAMES_COLUMN`].

use std::io::{self, BufRead};

use super::lines::Line;
use super::tabular::{WHITESPACE, sniff_delimiter, split};
use super::{FormatError, FormatKind, Input, Item, Record, RecordStream, StreamPosition};

/// The name given to a gene column the header leaves unnamed (R row names).
pub const ROW_NAMES_COLUMN: &str = "gene";

/// Column names (lower case) that hold a gene id or symbol.
const GENE_COLUMNS: &[&str] = &[
    "gene_id",
    "geneid",
    "gene",
    "genes",
    "gene_name",
    "gene_symbol",
    "genesymbol",
    "symbol",
    "ensembl",
    "ensembl_gene_id",
    "ensembl_id",
    "id",
    "feature",
    "feature_id",
    "row.names",
];

/// Column names (lower case) that only differential-expression and
/// counting tools write.
const TOOL_COLUMNS: &[&str] = &[
    "log2foldchange",
    "basemean",
    "lfcse",
    "padj",
    "logfc",
    "logcpm",
    "fdr",
    "aveexpr",
    "adj.p.val",
];

/// How many comment lines may come before the header (featureCounts writes one).
const MAX_LEADING_COMMENT_LINES: usize = 1_000;

fn normalized(name: &str) -> String {
    name.trim().trim_matches('"').trim().to_ascii_lowercase()
}

fn header_delimiter(line: &[u8]) -> u8 {
    if line.contains(&b'\t') || line.contains(&b',') {
        sniff_delimiter(line)
    } else {
        WHITESPACE
    }
}

/// Column names (lower case) of a chromosome beyond the tabular reader's: a
/// table with one (DiffBind's `seqnames … FDR`, a DESeq2 table joined to
/// coordinates) has loci of its own and stays a table of loci.
const CHROMOSOME_COLUMNS: &[&str] = &["seqnames", "#chrom"];

/// Whether a header names columns the tabular reader finds loci in (a
/// chromosome, or one `locus`/`region` column of `chr:start-end`): such a
/// table, gene column or not, is linked by its own loci.
fn has_locus_columns(names: &[String]) -> bool {
    names.iter().any(|n| {
        CHROMOSOME_COLUMNS.contains(&n.as_str())
            || super::tabular::CHROM_NAMES.contains(&n.as_str())
            || super::tabular::LOCUS_NAMES.contains(&n.as_str())
    })
}

/// Whether a header (its names in lower case) is a gene-level table's:
/// a tool's own column names and no chromosome column, or featureCounts'
/// `Geneid Chr Start End Strand Length` (whose `Chr` is a list of exons').
pub(crate) fn is_gene_table_header(names: &[String]) -> bool {
    let has = |name: &str| names.iter().any(|n| n == name);
    let feature_counts = names.first().is_some_and(|n| n == "geneid") && has("length");
    feature_counts || (TOOL_COLUMNS.iter().any(|c| has(c)) && !has_locus_columns(names))
}

/// The gene column of a header: the first named like one, else the first
/// column when it is unnamed (R row names written by `write.csv`).
fn gene_column(names: &[String]) -> Option<usize> {
    GENE_COLUMNS
        .iter()
        .find_map(|wanted| names.iter().position(|n| n == wanted))
        .or_else(|| names.first().filter(|n| n.is_empty()).map(|_| 0))
}

pub(crate) struct GeneTableStream {
    lines: Input,
    delimiter: u8,
    columns: Vec<String>,
    gene: usize,
    /// The header is one name short: every row starts with its row name.
    row_names: bool,
    record: csv::ByteRecord,
    pending: Option<Item>,
}

impl GeneTableStream {
    pub(crate) fn open(mut lines: Input) -> Result<Self, FormatError> {
        let kind = FormatKind::GeneTable;
        let header_error = |line: Option<u64>, message: String| FormatError::Header {
            kind,
            line,
            message,
        };
        let mut header: Option<(u64, Vec<u8>)> = None;
        let mut first: Option<(u64, Vec<u8>)> = None;
        let mut skipped = 0;
        while first.is_none() && skipped < MAX_LEADING_COMMENT_LINES {
            let Some(line) = lines.next_line()? else {
                break;
            };
            let (number, bytes) = match line {
                Line::TooLong { number, len, .. } => {
                    return Err(header_error(
                        Some(number),
                        format!("the line is {len} bytes long, more than the limit"),
                    ));
                }
                Line::Text { number, bytes } => (number, bytes),
            };
            if bytes.iter().all(u8::is_ascii_whitespace) || bytes.starts_with(b"#") {
                skipped += 1;
                continue;
            }
            match header {
                None => header = Some((number, bytes.to_vec())),
                Some(_) => first = Some((number, bytes.to_vec())),
            }
        }
        let Some((header_line, header_bytes)) = header else {
            return Err(header_error(None, "the file has no header line".into()));
        };
        let delimiter = header_delimiter(&header_bytes);
        let mut record = csv::ByteRecord::new();
        let mut written: Vec<String> = split(delimiter, &header_bytes, &mut record)
            .map_err(|e| header_error(Some(header_line), e))?
            .into_iter()
            .map(|n| n.trim().trim_matches('"').to_string())
            .collect();
        let first_width = match &first {
            Some((_, bytes)) => split(delimiter, bytes, &mut record).map_or(0, |c| c.len()),
            None => 0,
        };
        let row_names = first_width == written.len() + 1;
        if row_names {
            written.insert(0, ROW_NAMES_COLUMN.to_string());
        } else if written.first().is_some_and(|n| n.is_empty()) {
            written[0] = ROW_NAMES_COLUMN.to_string();
        }
        let names: Vec<String> = written.iter().map(|n| normalized(n)).collect();
        let gene = gene_column(&names).ok_or_else(|| {
            header_error(
                Some(header_line),
                format!(
                    "no column of gene ids or names: name it one of gene_id, gene, Geneid, \
                     symbol, or leave the first column unnamed (R row names); the header \
                     names {}",
                    written.join(", ")
                ),
            )
        })?;
        let mut stream = GeneTableStream {
            lines,
            delimiter,
            columns: written,
            gene,
            row_names,
            record,
            pending: None,
        };
        if let Some((number, bytes)) = first {
            stream.pending = Some(stream.parse(number, &bytes));
        }
        Ok(stream)
    }

    fn parse(&mut self, number: u64, bytes: &[u8]) -> Item {
        let cells = match split(self.delimiter, bytes, &mut self.record) {
            Ok(cells) => cells,
            Err(message) => return super::invalid(number, message, bytes),
        };
        let mut cells: Vec<String> = cells
            .into_iter()
            .map(|c| c.trim().trim_matches('"').to_string())
            .collect();
        if cells.len() != self.columns.len() {
            let expected = self.columns.len() - usize::from(self.row_names);
            return super::invalid(
                number,
                format!(
                    "the row has {} columns, the header {expected}",
                    cells.len() - usize::from(self.row_names && cells.len() > expected)
                ),
                bytes,
            );
        }
        let label = std::mem::take(&mut cells[self.gene]);
        if label.is_empty() {
            return super::invalid(
                number,
                format!(
                    "column {} ({}) names no gene",
                    self.gene + 1,
                    self.columns[self.gene]
                ),
                bytes,
            );
        }
        cells[self.gene].clone_from(&label);
        Item::Record(Record {
            line: number,
            intervals: Vec::new(),
            label,
            cells,
            filter_pass: None,
            sv: None,
        })
    }
}

impl RecordStream for GeneTableStream {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn names_genes(&self) -> bool {
        true
    }

    fn position(&self) -> Option<StreamPosition> {
        self.pending
            .is_none()
            .then(|| StreamPosition::of(&self.lines))
    }

    fn resume(&mut self, input: Box<dyn BufRead + Send>, at: StreamPosition) -> io::Result<()> {
        self.pending = None;
        self.lines.restart(input, at.line, at.offset);
        Ok(())
    }

    fn next_item(&mut self) -> io::Result<Option<Item>> {
        if let Some(item) = self.pending.take() {
            return Ok(Some(item));
        }
        loop {
            let (number, bytes) = match super::next_line(&mut self.lines)? {
                None => return Ok(None),
                Some(Err(too_long)) => return Ok(Some(too_long)),
                Some(Ok(line)) => line,
            };
            if bytes.iter().all(u8::is_ascii_whitespace) || bytes.starts_with(b"#") {
                continue;
            }
            let bytes = bytes.to_vec();
            return Ok(Some(self.parse(number, &bytes)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(header: &str) -> Vec<String> {
        header.split(',').map(normalized).collect()
    }

    #[test]
    fn tool_columns_make_a_gene_table_and_name_its_gene_column() {
        let deseq2 =
            names("\"\",\"baseMean\",\"log2FoldChange\",\"lfcSE\",\"stat\",\"pvalue\",\"padj\"");
        assert!(is_gene_table_header(&deseq2));
        assert_eq!(gene_column(&deseq2), Some(0));
        let fc = names("Geneid,Chr,Start,End,Strand,Length,a.bam");
        assert!(is_gene_table_header(&fc));
        assert_eq!(gene_column(&fc), Some(0));
        let limma = names("ID,logFC,AveExpr,t,P.Value,adj.P.Val,B");
        assert!(is_gene_table_header(&limma));
        assert!(!is_gene_table_header(&names("chrom,start,end,name")));
        // igv-relay's demo hits.tsv: a DESeq2-like table with its own locus column.
        assert!(!is_gene_table_header(&names(
            "locus,gene,log2_fold_change,padj"
        )));
        // DiffBind: differential peaks have loci of their own.
        assert!(!is_gene_table_header(&names(
            "seqnames,start,end,width,strand,Conc,Fold,p.value,FDR"
        )));
        assert_eq!(gene_column(&names("a,b")), None);
    }
}
