// Command kube-policy-ls checks Kubernetes manifests: a language server (serve), a CI and
// terminal checker (check), and the rule catalog (rules). It holds no logic of its own: every
// subcommand is a thin face on package analysis.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// command runs a subcommand with its arguments and returns the process exit code.
type command struct {
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands is filled by each subcommand's file (serve.go, check.go, rules.go).
var commands = map[string]command{
	"version": {"print the version", func(_ []string, _ io.Reader, stdout, _ io.Writer) int {
		fmt.Fprintf(stdout, "kube-policy-ls %s\n", version)
		return 0
	}},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := "serve" // the bare binary is a language server, as editors expect
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help":
			// the program's help, not serve's: a user asking has not met the commands yet
			name, args = "help", args[1:]
		case "-version", "--version":
			name, args = "version", args[1:]
		default:
			if !strings.HasPrefix(args[0], "-") {
				name, args = args[0], args[1:]
			}
		}
	}
	if name == "help" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "kube-policy-ls: unknown command %q\n", name)
		usage(stderr)
		return 2
	}
	return cmd.run(args, stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: kube-policy-ls <command> [flags]")
	fmt.Fprintln(w, "\nWithout a command it serves the language server protocol on stdin/stdout, for an editor.")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'kube-policy-ls <command> -h' for a command's flags.")
}
