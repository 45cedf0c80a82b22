package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Objects is the content-addressed store of recordings: <Dir>/<sha[:2]>/<sha>.wav, each
// written once (temp file, fsync, rename, fsync of the directory) and never modified, so a
// crash leaves either the whole object or none (and perhaps a .tmp-* file, which Put
// ignores).
type Objects struct{ Dir string }

// Path returns where the object named sha is (whether or not it exists).
func (o Objects) Path(sha string) string {
	shard := "xx"
	if len(sha) >= 2 {
		shard = sha[:2]
	}
	return filepath.Join(o.Dir, shard, sha+".wav")
}

// Has reports whether the object named sha exists.
func (o Objects) Has(sha string) bool {
	if !ValidSHA256(sha) {
		return false
	}
	fi, err := os.Stat(o.Path(sha))
	return err == nil && fi.Mode().IsRegular()
}

// Put stores the bytes of r and returns their SHA-256 and size. Storing bytes already
// present changes nothing.
func (o Objects) Put(r io.Reader) (sha string, size int64, err error) {
	return o.put(r, "")
}

// PutVerified stores the bytes of r as the object named want; it fails with ErrHash,
// storing nothing, when they hash to something else (a download that went wrong).
func (o Objects) PutVerified(r io.Reader, want string) (size int64, err error) {
	if !ValidSHA256(want) {
		return 0, fmt.Errorf("%w: sha256 %q is not 64 lowercase hex digits", ErrInvalid, want)
	}
	_, size, err = o.put(r, want)
	return size, err
}

func (o Objects) put(r io.Reader, want string) (sha string, size int64, err error) {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return "", 0, fmt.Errorf("dataset: objects: %w", err)
	}
	tmp, err := os.CreateTemp(o.Dir, ".tmp-*")
	if err != nil {
		return "", 0, fmt.Errorf("dataset: objects: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(tmp, h), r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("dataset: objects: write: %w", err)
	}
	sha = hex.EncodeToString(h.Sum(nil))
	if want != "" && sha != want {
		return "", 0, fmt.Errorf("%w: got sha256 %s, want %s", ErrHash, sha, want)
	}
	if err := o.install(tmp.Name(), sha); err != nil {
		return "", 0, err
	}
	return sha, size, nil
}

// PutFile stores the file at path and returns its SHA-256 and size. The object is a hard
// link to the file when the two are on one file system (the file must then never be
// modified: recordings are written once), a copy otherwise; either way its bytes are hashed
// once they are in the object directory, so the name is the hash of what is stored.
func (o Objects) PutFile(path string) (sha string, size int64, err error) {
	sha, size, err = o.link(path, "")
	if err != nil {
		return "", 0, err
	}
	return sha, size, nil
}

// LinkClip stores the clip file at clipPath as the object named sha (the SHA-256 recorded
// for the clip), by hard link or copy like PutFile. It fails with ErrHash, storing nothing,
// when the file's bytes do not hash to sha; an object already present is left as it is.
func LinkClip(o Objects, clipPath string, sha string) error {
	if !ValidSHA256(sha) {
		return fmt.Errorf("%w: clip %s: sha256 %q is not 64 lowercase hex digits", ErrInvalid, clipPath, sha)
	}
	if o.Has(sha) {
		return nil
	}
	_, _, err := o.link(clipPath, sha)
	return err
}

// link puts path into the store (hard link, else copy) under a temp name, hashes what was
// stored, checks it against want (when set) and renames it to its object name.
func (o Objects) link(path, want string) (string, int64, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("dataset: objects: %w", err)
	}
	defer src.Close()
	if fi, err := src.Stat(); err != nil {
		return "", 0, fmt.Errorf("dataset: objects: %w", err)
	} else if !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%w: %s is not a regular file", ErrInvalid, path)
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return "", 0, fmt.Errorf("dataset: objects: %w", err)
	}
	tmpf, err := os.CreateTemp(o.Dir, ".tmp-*")
	if err != nil {
		return "", 0, fmt.Errorf("dataset: objects: %w", err)
	}
	tmp := tmpf.Name()
	tmpf.Close()
	defer os.Remove(tmp)
	h := sha256.New()
	var size int64
	os.Remove(tmp)
	if err := os.Link(path, tmp); err == nil {
		f, err := os.Open(tmp)
		if err != nil {
			return "", 0, fmt.Errorf("dataset: objects: %w", err)
		}
		size, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", 0, fmt.Errorf("dataset: objects: read %s: %w", path, err)
		}
	} else {
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return "", 0, fmt.Errorf("dataset: objects: %w", err)
		}
		size, err = io.Copy(io.MultiWriter(f, h), src)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", 0, fmt.Errorf("dataset: objects: copy %s: %w", path, err)
		}
	}
	sha := hex.EncodeToString(h.Sum(nil))
	if want != "" && sha != want {
		return "", 0, fmt.Errorf("%w: %s has sha256 %s, want %s", ErrHash, path, sha, want)
	}
	if err := o.install(tmp, sha); err != nil {
		return "", 0, err
	}
	return sha, size, nil
}

// install renames the complete temp file to the object named sha and syncs the directory.
// When the object exists already (the same bytes, by its name) the temp file is dropped.
func (o Objects) install(tmp, sha string) error {
	dst := o.Path(sha)
	if o.Has(sha) {
		return nil
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dataset: objects: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("dataset: objects: store %s: %w", sha, err)
	}
	for _, d := range []string{dir, o.Dir} {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("dataset: objects: sync %s: %w", d, err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Verify checks that the object named sha exists and that its bytes hash to sha.
func (o Objects) Verify(sha string) error {
	f, err := os.Open(o.Path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, sha)
	}
	if err != nil {
		return fmt.Errorf("dataset: objects: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("dataset: objects: read %s: %w", sha, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return fmt.Errorf("%w: object %s has sha256 %s", ErrHash, sha, got)
	}
	return nil
}

// All returns the names of every object in the store (for a sweep that uploads them).
func (o Objects) All() ([]string, error) {
	var out []string
	err := filepath.WalkDir(o.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == o.Dir {
				return filepath.SkipAll
			}
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		name, ok := strings.CutSuffix(d.Name(), ".wav")
		if ok && ValidSHA256(name) && filepath.Base(filepath.Dir(p)) == name[:2] {
			out = append(out, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dataset: objects: list: %w", err)
	}
	return out, nil
}
