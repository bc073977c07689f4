// Independent verifier for audit-append output, built at test time from
// Go's golang.org/x/mod/sumdb/{note,tlog} (Debian golang-golang-x-mod-dev)
// in GOPATH mode. Nothing here is shared with the C implementation.
//
//	verifier vkey FILE                 parse our verifier key (note.NewVerifier)
//	verifier sign SKEY-FILE TEXT-FILE  sign with Go (note.NewSigner), print note
//	verifier dir VKEY DIR              check every proof in DIR:
//	    *.tlog-proof   inclusion: note.Open + tlog.CheckRecord
//	    *.cproof       consistency from *.cproof.old: tlog.CheckTree
//	verifier log VKEY LOGDIR           recompute the stored hashes of LOGDIR/entries
//	    with tlog.StoredHashes, compare with LOGDIR/hashes byte for byte, and
//	    check LOGDIR/checkpoint's root with tlog.TreeHash
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// Go 1.19's tlog.ParseTree only accepts the sumdb origin, so the C2SP
// checkpoint body is split here.
func openCheckpoint(vkey string, msg []byte) (*checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("note.NewVerifier: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("note.Open: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return nil, errors.New("checkpoint: too few lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return nil, fmt.Errorf("checkpoint size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return nil, fmt.Errorf("checkpoint root: %v", err)
	}
	if lines[0] != v.Name() {
		return nil, fmt.Errorf("origin %q is not the key name %q", lines[0], v.Name())
	}
	return &checkpoint{lines[0], size, root}, nil
}

// parseProof splits a tlog-proof or a witness-style consistency proof.
func parseProof(data []byte) (head []string, path tlog.TreeProof, note []byte, err error) {
	i := bytes.Index(data, []byte("\n\n"))
	if i < 0 {
		return nil, nil, nil, errors.New("proof: no blank line")
	}
	for _, l := range strings.Split(string(data[:i]), "\n") {
		if h, err := tlog.ParseHash(l); err == nil && len(l) == 44 && !strings.Contains(l, " ") {
			path = append(path, h)
		} else {
			head = append(head, l)
		}
	}
	return head, path, data[i+2:], nil
}

func checkInclusion(vkey, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	head, path, msg, err := parseProof(data)
	if err != nil {
		return err
	}
	if len(head) < 2 || head[0] != "c2sp.org/tlog-proof@v1" {
		return errors.New("not a c2sp.org/tlog-proof@v1 file")
	}
	var entry []byte
	var index int64 = -1
	for _, l := range head[1:] {
		switch {
		case strings.HasPrefix(l, "extra "):
			entry, err = base64.StdEncoding.DecodeString(l[6:])
		case strings.HasPrefix(l, "index "):
			index, err = strconv.ParseInt(l[6:], 10, 64)
		default:
			err = fmt.Errorf("unexpected line %q", l)
		}
		if err != nil {
			return err
		}
	}
	c, err := openCheckpoint(vkey, msg)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(tlog.RecordProof(path), c.size, c.root, index, tlog.RecordHash(entry)); err != nil {
		return fmt.Errorf("CheckRecord(index %d, size %d): %v", index, c.size, err)
	}
	return nil
}

func checkConsistency(vkey, file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	head, path, msg, err := parseProof(data)
	if err != nil {
		return err
	}
	if len(head) != 1 || !strings.HasPrefix(head[0], "old ") {
		return errors.New("not an 'old N' consistency proof")
	}
	oldSize, err := strconv.ParseInt(head[0][4:], 10, 64)
	if err != nil {
		return err
	}
	c, err := openCheckpoint(vkey, msg)
	if err != nil {
		return err
	}
	oldMsg, err := os.ReadFile(file + ".old")
	if err != nil {
		return err
	}
	o, err := openCheckpoint(vkey, oldMsg)
	if err != nil {
		return err
	}
	if o.size != oldSize || o.origin != c.origin {
		return fmt.Errorf("old checkpoint has size %d, proof says %d", o.size, oldSize)
	}
	if o.size == c.size {
		if o.root != c.root || len(path) != 0 {
			return errors.New("same size, different roots")
		}
		return nil
	}
	if err := tlog.CheckTree(path, c.size, c.root, o.size, o.root); err != nil {
		return fmt.Errorf("CheckTree(%d -> %d): %v", o.size, c.size, err)
	}
	return nil
}

func checkDir(vkey, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		return err
	}
	ni, nc := 0, 0
	for _, f := range files {
		switch {
		case strings.HasSuffix(f, ".tlog-proof"):
			err, ni = checkInclusion(vkey, f), ni+1
		case strings.HasSuffix(f, ".cproof"):
			err, nc = checkConsistency(vkey, f), nc+1
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
	}
	if ni+nc == 0 {
		return errors.New("no proofs found")
	}
	fmt.Printf("OK %d inclusion and %d consistency proofs verified by sumdb/tlog\n", ni, nc)
	return nil
}

type hashList []tlog.Hash

func (h hashList) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(h)) {
			return nil, fmt.Errorf("hash index %d out of range", x)
		}
		out[i] = h[x]
	}
	return out, nil
}

// entryOf strips the commit framing from a line of the entries file: lines
// inside a multi-entry commit end in one space, which is not entry data.
func entryOf(line []byte) []byte {
	return bytes.TrimSuffix(line, []byte(" "))
}

func checkLog(vkey, dir string) error {
	f, err := os.Open(filepath.Join(dir, "entries"))
	if err != nil {
		return err
	}
	defer f.Close()
	var stored hashList
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<17), 1<<17)
	var n int64
	for sc.Scan() {
		hs, err := tlog.StoredHashes(n, entryOf(sc.Bytes()), stored)
		if err != nil {
			return err
		}
		stored = append(stored, hs...)
		n++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	ours, err := os.ReadFile(filepath.Join(dir, "hashes"))
	if err != nil {
		return err
	}
	if int64(len(ours)) != int64(len(stored))*32 {
		return fmt.Errorf("hashes file has %d bytes, Go stores %d hashes", len(ours), len(stored))
	}
	for i, h := range stored {
		if !bytes.Equal(h[:], ours[i*32:i*32+32]) {
			return fmt.Errorf("stored hash %d differs", i)
		}
	}
	msg, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		return err
	}
	c, err := openCheckpoint(vkey, msg)
	if err != nil {
		return err
	}
	th, err := tlog.TreeHash(c.size, stored)
	if err != nil {
		return err
	}
	if th != c.root {
		return fmt.Errorf("tlog.TreeHash(%d) = %v, checkpoint root %v", c.size, th, c.root)
	}
	fmt.Printf("OK %d entries: %d stored hashes identical to tlog.StoredHashes, root at %d matches\n", n, len(stored), c.size)
	return nil
}

// checkTiles compares our C2SP tlog-tiles export with the tiles Go's
// tlog.NewTiles/ReadTileData derive from the entries (H=8; C2SP drops the
// height from the path), and the entry bundles with the entries.
func checkTiles(vkey, logDir, tilesDir string) error {
	data, err := os.ReadFile(filepath.Join(logDir, "entries"))
	if err != nil {
		return err
	}
	lines := bytes.Split(data, []byte("\n"))
	lines = lines[:len(lines)-1]
	var stored hashList
	for i, l := range lines {
		hs, err := tlog.StoredHashes(int64(i), entryOf(l), stored)
		if err != nil {
			return err
		}
		stored = append(stored, hs...)
	}
	msg, err := os.ReadFile(filepath.Join(tilesDir, "checkpoint"))
	if err != nil {
		return err
	}
	c, err := openCheckpoint(vkey, msg)
	if err != nil {
		return err
	}
	// NewTiles lists every partial width on the way; a tree of this size
	// publishes only the widest tile per (level, index).
	widest := map[[2]int64]tlog.Tile{}
	for _, t := range tlog.NewTiles(8, 0, c.size) {
		widest[[2]int64{int64(t.L), t.N}] = t
	}
	n := 0
	for _, t := range widest {
		want, err := tlog.ReadTileData(t, stored)
		if err != nil {
			return err
		}
		p := strings.Replace(t.Path(), "tile/8/", "tile/", 1)
		got, err := os.ReadFile(filepath.Join(tilesDir, p))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%s differs from tlog.ReadTileData", p)
		}
		n++
	}
	// Entry bundles: uint16 length + bytes, 256 per bundle.
	for b := int64(0); b*256 < c.size; b++ {
		w := c.size - b*256
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: 8, L: 0, N: b, W: int(w)}
		p := strings.Replace(t.Path(), "tile/8/0/", "tile/entries/", 1)
		got, err := os.ReadFile(filepath.Join(tilesDir, p))
		if err != nil {
			return err
		}
		var want []byte
		for _, l := range lines[b*256 : b*256+w] {
			e := entryOf(l)
			want = append(want, byte(len(e)>>8), byte(len(e)))
			want = append(want, e...)
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%s: entry bundle differs", p)
		}
		n++
	}
	fmt.Printf("OK %d tiles and bundles identical to tlog.NewTiles/ReadTileData at size %d\n", n, c.size)
	return nil
}

func main() {
	var err error
	a := os.Args
	switch {
	case len(a) == 3 && a[1] == "vkey":
		var v note.Verifier
		var b []byte
		if b, err = os.ReadFile(a[2]); err == nil {
			if v, err = note.NewVerifier(strings.TrimSpace(string(b))); err == nil {
				fmt.Printf("OK verifier key %s+%08x\n", v.Name(), v.KeyHash())
			}
		}
	case len(a) == 4 && a[1] == "sign":
		var s note.Signer
		var k, text []byte
		if k, err = os.ReadFile(a[2]); err == nil {
			if s, err = note.NewSigner(strings.TrimSpace(string(k))); err == nil {
				if text, err = os.ReadFile(a[3]); err == nil {
					var msg []byte
					if msg, err = note.Sign(&note.Note{Text: string(text)}, s); err == nil {
						os.Stdout.Write(msg)
					}
				}
			}
		}
	case len(a) == 4 && a[1] == "dir":
		err = checkDir(strings.TrimSpace(readOr(a[2])), a[3])
	case len(a) == 5 && a[1] == "tiles":
		err = checkTiles(strings.TrimSpace(readOr(a[2])), a[3], a[4])
	case len(a) == 4 && a[1] == "log":
		err = checkLog(strings.TrimSpace(readOr(a[2])), a[3])
	default:
		err = errors.New("usage: verifier vkey FILE | sign SKEY TEXT | dir VKEY DIR | log VKEY LOGDIR")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "verifier:", err)
		os.Exit(1)
	}
}

// readOr returns the file's content if s names a file, else s itself.
func readOr(s string) string {
	if b, err := os.ReadFile(s); err == nil {
		return string(b)
	}
	return s
}
