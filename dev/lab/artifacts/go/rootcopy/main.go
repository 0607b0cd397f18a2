// Command rootcopy copies files out of a tree of unpacked Debian packages into an image root,
// together with every shared library they need, found the way the dynamic loader would
// (PT_INTERP, DT_NEEDED through DT_RUNPATH/DT_RPATH with $ORIGIN, then the multiarch and
// plain lib directories). Symbolic links on the way (file or directory) are recreated, so
// `libfoo.so.1 -> libfoo.so.1.2.3` and `/lib64/ld-linux-x86-64.so.2` keep their shape.
//
//	rootcopy -from STAGING -to ROOT PATH...
//
// A PATH is absolute inside STAGING; a directory is copied whole (e.g. the xtables extensions
// or nginx modules, which are loaded with dlopen) and each ELF file in it is followed.
// A needed library that cannot be found is an error: the image would not start.
package main

import (
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

var defaultLibDirs = []string{
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
}

type copier struct {
	from, to string
	done     map[string]bool
}

func main() {
	from := flag.String("from", "", "staging tree (unpacked packages)")
	to := flag.String("to", "", "image root")
	flag.Parse()
	if *from == "" || *to == "" || flag.NArg() == 0 {
		fail(errors.New("usage: rootcopy -from STAGING -to ROOT PATH..."))
	}
	if err := os.MkdirAll(*to, 0o755); err != nil {
		fail(err)
	}
	c := &copier{from: *from, to: *to, done: map[string]bool{}}
	for _, p := range flag.Args() {
		if err := c.copyPath(path.Clean("/" + p)); err != nil {
			fail(err)
		}
	}
}

// resolve walks p's components inside the staging tree, recreating each symlink met in the image
// root, and returns the final real path (inside the tree) or an error when it does not exist.
func (c *copier) resolve(p string, depth int) (string, error) {
	if depth > 40 {
		return "", fmt.Errorf("%s: too many levels of symbolic links", p)
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := "/"
	for i, part := range parts {
		next := path.Join(cur, part)
		info, err := os.Lstat(filepath.Join(c.from, next))
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(filepath.Join(c.from, next))
			if err != nil {
				return "", err
			}
			if err := c.symlink(next, target); err != nil {
				return "", err
			}
			var abs string
			if path.IsAbs(target) {
				abs = target
			} else {
				abs = path.Join(cur, target)
			}
			rest := path.Join(append([]string{abs}, parts[i+1:]...)...)
			return c.resolve(rest, depth+1)
		}
		cur = next
	}
	return cur, nil
}

func (c *copier) symlink(p, target string) error {
	dst := filepath.Join(c.to, p)
	if existing, err := os.Readlink(dst); err == nil && existing == target {
		return nil
	}
	if err := c.mkdirs(path.Dir(p)); err != nil {
		return err
	}
	os.Remove(dst)
	return os.Symlink(target, dst)
}

// mkdirs creates p's directories in the image root with the staging tree's modes.
func (c *copier) mkdirs(p string) error {
	if p == "/" {
		return nil
	}
	dst := filepath.Join(c.to, p)
	if _, err := os.Lstat(dst); err == nil {
		return nil
	}
	if err := c.mkdirs(path.Dir(p)); err != nil {
		return err
	}
	mode := fs.FileMode(0o755)
	if info, err := os.Stat(filepath.Join(c.from, p)); err == nil {
		mode = info.Mode().Perm()
	}
	if err := os.Mkdir(dst, mode); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}

func (c *copier) copyPath(p string) error {
	real, err := c.resolve(p, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if c.done[real] {
		return nil
	}
	c.done[real] = true
	src := filepath.Join(c.from, real)
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	if info.IsDir() {
		if err := c.mkdirs(real); err != nil {
			return err
		}
		entries, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := c.copyPath(path.Join(real, e.Name())); err != nil {
				return err
			}
		}
		return nil
	}
	if err := c.copyFile(real, info); err != nil {
		return err
	}
	return c.followELF(real)
}

func (c *copier) copyFile(p string, info fs.FileInfo) error {
	if err := c.mkdirs(path.Dir(p)); err != nil {
		return err
	}
	in, err := os.Open(filepath.Join(c.from, p))
	if err != nil {
		return err
	}
	defer in.Close()
	dst := filepath.Join(c.to, p)
	os.Remove(dst)
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, info.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid))
}

func (c *copier) followELF(p string) error {
	f, err := elf.Open(filepath.Join(c.from, p))
	if err != nil {
		return nil // not ELF
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			b, err := io.ReadAll(prog.Open())
			if err != nil {
				return err
			}
			if err := c.copyPath(strings.TrimRight(string(b), "\x00")); err != nil {
				return fmt.Errorf("%s: interpreter: %w", p, err)
			}
		}
	}
	needed, err := f.ImportedLibraries()
	if err != nil {
		return nil // static
	}
	var dirs []string
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		vals, _ := f.DynString(tag)
		for _, v := range vals {
			for _, d := range strings.Split(v, ":") {
				d = strings.ReplaceAll(strings.ReplaceAll(d, "${ORIGIN}", "$ORIGIN"), "$ORIGIN", path.Dir(p))
				if d != "" {
					dirs = append(dirs, path.Clean(d))
				}
			}
		}
	}
	dirs = append(dirs, defaultLibDirs...)
	for _, lib := range needed {
		found := false
		for _, d := range dirs {
			candidate := path.Join(d, lib)
			if _, err := os.Stat(filepath.Join(c.from, candidate)); err == nil {
				if err := c.copyPath(candidate); err != nil {
					return err
				}
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%s needs %s, which no unpacked package has (add its package)", p, lib)
		}
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rootcopy:", err)
	os.Exit(1)
}
