package cli

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

// manifestObject is one object read from a -f source.
type manifestObject struct {
	obj    api.Object
	res    *api.Resource
	source string // the file it came from, for messages
}

// fileFlags are the -f and -R flags shared by apply, create and delete.
type fileFlags struct {
	files     []string
	recursive bool
}

func (f *fileFlags) register(cmd *cobra.Command, verb string) {
	cmd.Flags().StringArrayVarP(&f.files, "filename", "f", nil,
		"file, directory or - (stdin) with the objects to "+verb+"; repeatable")
	cmd.Flags().BoolVarP(&f.recursive, "recursive", "R", false, "walk directories given with -f recursively")
}

// load reads every object from the -f sources, in order, with namespaces filled in.
func (f *fileFlags) load(cmd *cobra.Command, g *globals) ([]manifestObject, error) {
	var out []manifestObject
	for _, src := range f.files {
		paths, err := manifestPaths(src, f.recursive)
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			objs, err := readManifest(cmd.InOrStdin(), p)
			if err != nil {
				return nil, err
			}
			for _, obj := range objs {
				mo, err := g.prepare(obj, p)
				if err != nil {
					return nil, err
				}
				out = append(out, mo)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w (use -f FILE)", ErrNoManifests)
	}
	return out, nil
}

// manifestPaths expands one -f value: a file, "-", or a directory's manifests, sorted.
func manifestPaths(src string, recursive bool) ([]string, error) {
	if src == "-" {
		return []string{src}, nil
	}
	info, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("cli: %w", err)
	}
	if !info.IsDir() {
		return []string{src}, nil
	}
	var paths []string
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != src && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cli: %w", err)
	}
	sort.Strings(paths)
	return paths, nil
}

// readManifest decodes the objects of one file (or stdin for "-").
func readManifest(stdin io.Reader, path string) ([]api.Object, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("cli: %w", err)
	}
	objs, err := api.DecodeManifests(data)
	if err != nil {
		// %v, not %w: a decoding error is the user's file, not an answer from the
		// server, and must not print as "Error from server".
		return nil, fmt.Errorf("cli: %s: %v", path, err)
	}
	return objs, nil
}

// prepare finds an object's resource and settles its namespace: -n fills an empty
// one; a different one in the file than an explicit -n is an error, as in kubectl.
func (g *globals) prepare(obj api.Object, source string) (manifestObject, error) {
	kind := obj.GetTypeMeta().Kind
	res, ok := api.ResourceForKind(kind)
	if !ok {
		return manifestObject{}, fmt.Errorf("%w %q (in %s)", ErrUnknownKind, kind, source)
	}
	m := obj.GetObjectMeta()
	switch {
	case !res.Namespaced:
		m.Namespace = ""
	case m.Namespace == "":
		m.Namespace = g.namespace
	case g.nsExplicit && m.Namespace != g.namespace:
		return manifestObject{}, fmt.Errorf("%w: the namespace from the provided object %q does not match "+
			"the namespace %q. You must pass '--namespace=%s' to perform this operation",
			ErrNamespaceMismatch, m.Namespace, g.namespace, m.Namespace)
	}
	if m.Name == "" {
		return manifestObject{}, fmt.Errorf("%w: a %s in %s has no metadata.name", ErrUsage, kind, source)
	}
	return manifestObject{obj: obj, res: res, source: source}, nil
}
