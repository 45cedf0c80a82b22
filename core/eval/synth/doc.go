// Package synth builds reproducible test streams from the real recordings under
// ../shared/data, for evaluating the appliance the way it runs: one long recording played
// through the live daemon (`signalcraftd eval --stream F.wav --truth F.csv`), scored for
// detection delay, false events and alerts per hour of normal audio, events during sensor
// faults and window-level AUC. Build returns a Stream (mono samples and a core/truth
// ground truth); Stream.WriteFiles writes it as a 16-bit PCM WAV file and the truth CSV.
// `signalcraftd eval streams` is the command-line front end.
//
// Every stream starts with a learning interval of normal audio (the appliance learns the
// machine from it), then normal audio that must not alarm, then faults. Clips are joined
// by a 20 ms raised-cosine crossfade so no join clicks, and the truth boundary between two
// clips is the midpoint of their crossfade. There is one truth interval per clip, its
// note the clip's file name, except that the learning clips share one interval (a truth
// has exactly one), noted with their count and first and last file; an inserted nuisance or sensor fault is an interval of its
// own, its note saying what was inserted ("impact at 351.200 s: …", "silence 5 s"), and
// the clip around it keeps its note on both sides (adjacent intervals often share a
// label). Samples are rounded to the 16-bit grid and clamped to [-1, 1] in Build, so the
// WAV file holds exactly Stream.Samples, and digital silence is exactly 0.
//
// # Recipes
//
// valve (16 kHz; DCASE 2022 Task 2 valve, section 00, source domain; labels.csv column
// suggested_split): learning = the 25 dev-fit normal clips in file order (≈ 250 s);
// normal = the 25 dev-test normal clips in Params.Shuffles (default 6) passes, each pass a
// fresh seeded permutation with every clip circularly shifted by a seeded offset (the wrap
// point crossfaded too), so that analysis windows fall differently on each pass (≈ 1494 s);
// fault = the 50 dev-test anomaly clips in file order (≈ 499 s). Valve is the hard case
// (the DCASE baseline AUC is 0.54) and its anomalies are present from the first fault
// clip: detection delay here is the delay to a fault at full severity. Limits: the normal
// part re-uses 25 clips (250 s of distinct audio) six times, so a false-alarm rate per
// hour rests on 250 s of distinct sound, not 1494 s; and the "fault" is 50 separate
// anomalous valves joined together, not one machine going bad.
//
// bearing (16 kHz; DCASE 2020 id_00 normal clips, a fan): learning = the first 30 normal
// clips (≈ 300 s); normal = the next 30 (≈ 300 s) with nuisances added — Params.Impacts
// (default 8) isolated impacts and one burst per Params.Bursts length (default 0.3 s and
// 1 s), in seeded order at seeded times at least 20 s apart (end to start) and at least
// 5 s from the section's edges. An impact is a damped resonance at a seeded 2–5 kHz plus
// a 1 ms broadband click, 20–50 ms long (seeded), peak +25 dB over the RMS of the base
// audio within 0.5 s of it; a burst is Gaussian noise through two band-pass biquads about
// an octave wide at a seeded 0.5–4 kHz, with 10 ms fades, RMS +10 dB over the local RMS.
// fault = the remaining 15 clips (≈ 150 s) with a synthetic outer-race defect added from
// the fault interval's start: an impulse train at Params.DefectHz (default 107.4 Hz =
// BPFO 3.5848 × 29.95 Hz, the CWRU rig's shaft), each interval jittered by a seeded normal
// 1 % of the period (bounded at 3 %), each impulse ringing a damped resonance at
// Params.ResonanceHz (default 3 kHz) with a 1 ms decay time constant; its amplitude ramps
// linearly from 0 over Params.Ramp (default 60 s) to a final RMS Params.FaultDB (default
// −10 dB) relative to the RMS of the fault section's base audio, then stays constant. The
// fault interval starts at the ramp's start, the onset: the first seconds of it are
// undetectable by design, and the detection delay measures how early in the ramp the
// appliance notices. Limits: the impacts, bursts and defect are synthetic (a fan does not
// have this bearing), the data's single id_00 anomaly clip is not used (one
// 10 s clip of an unknown fault cannot make a ramp), and the nuisance levels are set relative to this fan's sound.
//
// cwru (12 kHz; CWRU bearing data, 0 hp, drive-end accelerometer, variable from
// labels.csv de_variable, scaled so CWRUFullScale = 10 g is digital full scale, as in eval):
// learning = the first 12 s of normal_0_97.mat; normal = the rest of it (≈ 8.3 s, joined
// without a crossfade: it is the same recording); fault = the OR007@6 file (≈ 10.2 s)
// then the IR007 file (≈ 10.1 s), hard onsets at full severity. These files are short: 12 s
// of learning is little, 8 s of normal audio says almost nothing about false alarms per
// hour, and there are two onsets to time. Use it as a sanity check of real bearing
// faults, not for rates. The normal file's sample rate is listed as unverified in
// labels.csv; like the rest of the project it is read as 12 kHz. The recipe has no random
// element: every seed gives the same stream.
//
// sensor (16 kHz; DCASE 2020 id_00 normal clips): learning = the first 30 clips; normal =
// the next clips, into which sensor faults are written in place at seeded positions, in
// seeded order, with at least 30 s of untouched normal audio between two faults and
// before the first and after the last: silence (exact digital zero) of 5, 20 and 60 s; a
// disconnected microphone of 10 s (white noise at −85 dBFS RMS, full scale 1.0); clipping
// of 5, 20 and 60 s (the audio × Params.ClipGain, default 30, hard-clipped at ±1); a DC offset of 10 s (+0.3);
// dropouts (exact zero) of 0.5 and 2 s. Each fault is its own sensor_fault interval, its
// note naming the kind and length; the stream stays continuous and the rest is normal.
// The 192.5 s of faults with their spacing need ≈ 523 s, more than the 40 clips first
// planned (and than the 45 clips the data has left after learning), so the recipe takes
// as many clips as the faults need plus 60 s of room to spread them at random (59 clips,
// ≈ 589 s): the 45 remaining fresh clips, then the first 14 of them again, each circularly
// shifted by a seeded offset and noted as such. Limits: the faults' onsets are abrupt
// (as a cable pull is), and clipping and DC offset keep the machine's sound underneath,
// so a detector may rightly see both a sensor fault and the audio it distorts. The fan is
// quiet (≈ −40 dBFS RMS): × 30 is +29.5 dB of gain but clips only its peaks, ≈ 0.15 % of
// the samples, right at core/sensor's default clip threshold (0.1 % per 1 s window), so a
// clip detector sees about half the windows of each clipping fault; a ClipGain of 100
// clips ≈ 33 % of the samples.
//
// # Reproducibility
//
// Params.Seed drives every random choice, through PCG (math/rand/v2) with the package's
// own derivation of floats, integers and normals, one sequence per purpose. The same
// Params and data give bit-identical samples on a machine. Across CPU architectures the
// floating-point maths (math.Exp uses FMA where the CPU has it, and Go may fuse
// multiply-adds on arm64) can differ in the last bit, which the 16-bit rounding hides
// almost always but not provably always.
package synth
