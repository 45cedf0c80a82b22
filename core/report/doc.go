// Package report provides SignalCraft's periodic reports: a plain [Data] value describing
// one appliance over a period (its machines' events with their diagnoses, the anomaly-score
// trend from the store's rollups, the availability of each sensor, and the optional health
// trend, remaining-useful-life estimate and cross-sensor correlations that other packages
// compute), and two renderers of it, in English and in Korean:
//
//   - [PDFRenderer] writes an A4 PDF with plots (gonum/plot drawn to PNG and placed by
//     fpdf). Hangul needs a TrueType font that has it: Debian's fonts-nanum
//     ([DefaultFontPath]); a missing font is an error naming the path.
//   - [WriteCSV] writes a zip of CSV files, one per table (summary, events, trend, sensors,
//     and health and correlations when present), each UTF-8 with a byte-order mark so that
//     spreadsheet programs show Hangul. A zip rather than one CSV because the tables have
//     different columns; every file stays a plain table a spreadsheet opens as it is.
//
// The package neither reads the store nor the clock: the appliance fills Data (the
// report job) and the renderers are pure functions of it, so the golden tests are exact.
package report
