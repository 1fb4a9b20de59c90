package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestMistypedSubcommandsAreRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"orders", "get-al"}, `kassa: unknown command "get-al" for "kassa orders"; did you mean get-all?` + "\n"},
		{[]string{"register", "opne", "--float", "100"}, `kassa: unknown command "opne" for "kassa register"; did you mean open?` + "\n"},
		{[]string{"migrate", "sideways"}, `kassa: unknown command "sideways" for "kassa migrate"; see 'kassa migrate --help'` + "\n"},
		{[]string{"frobnicate"}, `kassa: unknown command "frobnicate" for "kassa"; see 'kassa --help'` + "\n"},
		{[]string{"sales", "shwo", "#1001"}, `kassa: unknown command "shwo" for "kassa sales"; did you mean show?` + "\n"},
	} {
		code, out, errOut := kassa(t, "", tc.args...)
		if code == 0 || out != "" || errOut != tc.want {
			t.Errorf("kassa %s: exit %d, stdout %q, stderr %q; want %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}

	// Every command group, and a group alone still prints its help.
	var groups [][]string
	var walk func(cmd *cobra.Command, path []string)
	walk = func(cmd *cobra.Command, path []string) {
		if cmd.HasSubCommands() {
			groups = append(groups, path)
		}
		for _, sub := range cmd.Commands() {
			if sub.Name() != "help" {
				walk(sub, append(append([]string{}, path...), sub.Name()))
			}
		}
	}
	walk((&cli{}).rootCommand(), nil)
	if len(groups) < 10 {
		t.Fatalf("only %d command groups found: %v", len(groups), groups)
	}
	for _, g := range groups {
		path := strings.TrimSpace("kassa " + strings.Join(g, " "))
		for _, extra := range [][]string{{"zz-nope"}, {"zz-nope", "--float", "1"}} {
			args := append(append([]string{}, g...), extra...)
			code, _, errOut := kassa(t, "", args...)
			if code == 0 || !strings.Contains(errOut, `unknown command "zz-nope" for "`+path+`"`) {
				t.Errorf("kassa %s: exit %d, %q", strings.Join(args, " "), code, errOut)
			}
		}
		if code, out, _ := kassa(t, "", g...); code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%s alone: exit %d, %q; want its help", path, code, out)
		}
	}
}
