package tests

import (
	"testing"

	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// A subset of the client matrix (e2e_matrix_test.go) across processes: two
// gateway processes, two functions processes whose app negotiate endpoints
// redirect clients to gateway 1 and gateway 2 respectively, and the REST
// calls through functions process 1, so every send, group change and close
// travels over Redis. Each line runs one combination, the lines taking the
// combinations in turn and the gateways alternately, so that every
// transport, both protocols and both gateways are covered.
func TestMultiNodeClientMatrix(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	functions2 := c.start(t, "functions 2", "--role", "functions", "--client-url", c.gateways[gw2].URL()+"/")
	bases := []string{c.functions.URL(), functions2.URL()}
	for i, l := range jsclient.Lines {
		k, gw := acrossGateways(i, l)
		t.Run(l.Name+"/"+k.String(), func(t *testing.T) {
			t.Parallel()
			js := lineDriver(t, l, c.js)
			m := matrixCase{line: l, combo: k, js: js, rest: c.rest, base: bases[gw], seq: c.payload}
			m.run(t)
		})
	}
}

// acrossGateways picks the combination line i of jsclient.Lines runs across
// processes and its gateway (0 or 1): the lines take the combinations in
// turn and the gateways alternately (docs/compat/clients.md shows the pick).
func acrossGateways(i int, l jsclient.Line) (jsclient.Combo, int) {
	combos := l.Combos()
	return combos[i%len(combos)], i % 2
}
