// Package capture records a microphone through PortAudio and delivers its samples as a
// [source.Source]: per-channel float32 blocks scaled from signed 16-bit input (÷32768).
//
// The stream is always opened as int16, never float32: on some ALSA plugins the float32
// path silently drops blocks. A read that reports an input overflow is counted and the
// block is still delivered; any other read error means the device is gone. The source
// then reports [source.Lost], closes the stream, terminates PortAudio and retries with
// exponential backoff — terminating is what makes PortAudio rescan the devices, so a
// microphone that is unplugged and plugged back in is found again by its name — reporting
// [source.Reconnecting] before each attempt and [source.Running] once samples can flow
// again. [Source.Stats] reads counters and state lock-free.
//
// PortAudio's Initialize/Terminate pairs are owned by a [Host]; Open and Close are
// reference-counted and serialise every PortAudio call that is not a stream read.
//
// # Binding a real USB microphone
//
// Plug the microphone in and list the capture devices PortAudio sees:
//
//	signalcraftd devices
//
// The NAME column is the exact string to configure (for ALSA it usually looks like
// "USB PnP Sound Device: Audio (hw:1,0)"). Names are matched exactly, never as a
// substring, because several ALSA PCMs (hw, plughw, dsnoop, default…) share most of a
// name. `arecord -l` shows the same card from ALSA's side, and
// `arecord -D plughw:CARD=Device,DEV=0 -f S16_LE -r 48000 -c 1 -d 3 test.wav` checks that
// it records at all. Prefer the "(hw:N,M)" device when its SUPPORTED RATES column lists
// the rate you want: it is the microphone without resampling. Pick a rate from that
// column (16000, 44100 or 48000) and at most INPUTS channels, then configure, e.g.
//
//	capture:
//	  device: "USB PnP Sound Device: Audio (hw:1,0)"
//	  sample_rate: 48000
//	  channels: 1
//	  frames_per_buffer: 1024
//
// The card number in "hw:1,0" follows the order in which the kernel found the cards. To
// keep the name stable across reboots and other USB devices, pin the card index with a
// modprobe option (`options snd-usb-audio index=1` in /etc/modprobe.d/), or define an
// ALSA PCM by card id (the word after "card 1:" in `arecord -l`) in /etc/asound.conf,
//
//	pcm.mic { type plug; slave.pcm "hw:CARD=Device,DEV=0" }
//
// and configure device "mic". The daemon's user needs the "audio" group to open /dev/snd.
//
// Capturing through PulseAudio (device "pulse") also works, but put `enable-shm = no` in
// the client.conf the daemon's user reads: with shared memory, libpulse 16.1 can deadlock
// inside the blocked read when the sound server dies, and the loss is never reported.
//
// alsa-lib and libjack print diagnostics on stderr while PortAudio probes the devices (cards
// that do not exist, no JACK server): about a hundred harmless lines per initialisation. A
// [Host] silences them by installing discarding handlers in those libraries (not by
// redirecting stderr, so the process's own messages are never lost); set [Host.Verbose], or
// run `signalcraftd devices --verbose`, to see them when a card will not open. Set
// JACK_NO_START_SERVER=1 so that probing never starts a JACK server.
package capture
