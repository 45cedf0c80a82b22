// Command mkdeb builds SignalCraft's .deb packages (signalcraft, signalcraft-desktop) with the
// nfpm library from binaries built beforehand; `make deb` builds the binaries and runs it.
//
//	mkdeb -version VERSION -stage DIR -out DIR [-root DIR] [-date UNIX] [-packages a,b]
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"signalcraft/installer/debpkg"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("mkdeb", flag.ContinueOnError)
	version := fs.String("version", "", "version, as git describe prints it (v1.2.3, v1.2.3-4-gabc, abc-dirty)")
	root := fs.String("root", ".", "the repository")
	stage := fs.String("stage", "", "directory holding signalcraftd, signalcraft and signalcraft-desktop")
	out := fs.String("out", "dist", "where to write the packages")
	date := fs.String("date", os.Getenv("SOURCE_DATE_EPOCH"), "changelog date and file times, in Unix seconds (default $SOURCE_DATE_EPOCH, else now)")
	pkgs := fs.String("packages", strings.Join(debpkg.Packages, ","), "packages to build")
	if err := fs.Parse(args); err != nil {
		return err
	}
	when := time.Now()
	if *date != "" {
		s, err := strconv.ParseInt(*date, 10, 64)
		if err != nil {
			return fmt.Errorf("-date %q: %w", *date, err)
		}
		when = time.Unix(s, 0)
	}
	paths, err := debpkg.Build(debpkg.Options{Root: *root, Stage: *stage, Out: *out, Version: *version,
		Date: when, Packages: strings.Split(*pkgs, ",")})
	for _, p := range paths {
		fmt.Println(p)
	}
	return err
}
