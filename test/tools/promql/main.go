// Command promql-check validates Prometheus alerting rules and PromQL expressions with Prometheus's own parsers, the
// ones `promtool check rules` uses (model/rulefmt: rule groups, durations, label and annotation templates; promql/parser:
// expressions), without building promtool and its service-discovery dependencies.
//
//	promql-check rules FILE...   a rule file each (the `groups:` of a PrometheusRule's spec)
//	promql-check exprs           one expression per line of standard input
//
// Exit 0 when everything parses; otherwise every problem on standard error, exit 1.
package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: promql-check rules FILE... | promql-check exprs < EXPRESSIONS")
		os.Exit(2)
	}
	failed := false
	promql := parser.NewParser(parser.Options{})
	switch os.Args[1] {
	case "rules":
		for _, file := range os.Args[2:] {
			groups, errs := rulefmt.ParseFile(file, false, model.UTF8Validation, promql, slog.New(slog.NewTextHandler(os.Stderr, nil)))
			for _, err := range errs {
				fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
				failed = true
			}
			if groups != nil {
				n := 0
				for _, g := range groups.Groups {
					n += len(g.Rules)
				}
				fmt.Printf("%s: %d groups, %d rules\n", file, len(groups.Groups), n)
			}
		}
	case "exprs":
		scanner := bufio.NewScanner(os.Stdin)
		scanner.Buffer(make([]byte, 1<<20), 1<<20)
		line := 0
		for scanner.Scan() {
			line++
			if text := scanner.Text(); text != "" {
				if _, err := promql.ParseExpr(text); err != nil {
					fmt.Fprintf(os.Stderr, "line %d: %v: %s\n", line, err, text)
					failed = true
				}
			}
		}
		fmt.Printf("%d expressions read\n", line)
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}
