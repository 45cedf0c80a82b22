// Package installer holds SignalCraft's packaging: installer/deb (nfpm configurations,
// maintainer scripts, the shipped configuration, man pages, desktop entry), installer/debpkg
// and installer/cmd/mkdeb (the .deb builder behind `make deb`), installer/icon (the desktop
// icon), and dev-deps.sh and run.sh for developers. Its tests build the packages, lint them,
// and install, check, remove and purge them on the machine they run on (as root).
package installer
