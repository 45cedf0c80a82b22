package capture

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

typedef void (*sc_alsa_handler)(const char *file, int line, const char *function, int err, const char *fmt, ...);
typedef int (*sc_alsa_set_handler)(sc_alsa_handler);
typedef void (*sc_jack_handler)(const char *msg);
typedef void (*sc_jack_set_handler)(sc_jack_handler);

static void sc_alsa_discard(const char *file, int line, const char *function, int err, const char *fmt, ...) {}
static void sc_jack_discard(const char *msg) {}

// sc_jack_default_error and sc_jack_default_info are libjack's own handlers, remembered
// before the first change so that verbose can put them back.
static sc_jack_handler sc_jack_default_error, sc_jack_default_info;

// sc_set_library_diagnostics installs (quiet) or removes (!quiet) handlers that discard the
// diagnostics alsa-lib and libjack print on stderr. The libraries are looked up in the
// process (PortAudio links them) rather than linked here, so a PortAudio built without
// JACK still works. It returns a bit mask of the libraries found: 1 alsa-lib, 2 libjack.
static int sc_set_library_diagnostics(int quiet) {
	int found = 0;
	sc_alsa_set_handler alsa = (sc_alsa_set_handler)dlsym(RTLD_DEFAULT, "snd_lib_error_set_handler");
	if (alsa != NULL) {
		alsa(quiet ? sc_alsa_discard : NULL); // NULL: alsa-lib's default, printing to stderr
		found |= 1;
	}
	sc_jack_set_handler jerr = (sc_jack_set_handler)dlsym(RTLD_DEFAULT, "jack_set_error_function");
	sc_jack_set_handler jinfo = (sc_jack_set_handler)dlsym(RTLD_DEFAULT, "jack_set_info_function");
	if (jerr != NULL && jinfo != NULL) {
		if (sc_jack_default_error == NULL) {
			sc_jack_handler *e = (sc_jack_handler *)dlsym(RTLD_DEFAULT, "jack_error_callback");
			sc_jack_handler *i = (sc_jack_handler *)dlsym(RTLD_DEFAULT, "jack_info_callback");
			if (e != NULL && i != NULL) {
				sc_jack_default_error = *e;
				sc_jack_default_info = *i;
			}
		}
		if (quiet) {
			jerr(sc_jack_discard);
			jinfo(sc_jack_discard);
			found |= 2;
		} else if (sc_jack_default_error != NULL) {
			jerr(sc_jack_default_error);
			jinfo(sc_jack_default_info);
			found |= 2;
		}
	}
	return found;
}
*/
import "C"

// setLibraryDiagnostics silences (verbose false) or restores the diagnostics alsa-lib and
// libjack write to stderr while PortAudio probes devices: on a machine without a JACK server,
// or with fewer cards than alsa.conf's PCMs name, they are about a hundred lines of "ALSA lib
// … cannot find card" and "Cannot connect to server" per initialisation, which bury the
// output of `signalcraftd devices` and the daemon's log. They are replaced by handlers in the
// libraries, not by redirecting file descriptor 2, so the process's own stderr (logs, panics)
// is never lost. Call with the Host's lock held.
func setLibraryDiagnostics(verbose bool) {
	quiet := C.int(1)
	if verbose {
		quiet = 0
	}
	C.sc_set_library_diagnostics(quiet)
}
