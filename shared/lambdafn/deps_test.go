package lambdafn_test

import (
	"os/exec"
	"strings"
	"testing"
)

// linkedElsewhere are packages a Lambda function must not link: the
// gateway and the composition root that assembles it, the admin listener
// with its pprof handlers, and the Prometheus client (the functions keep
// no registry; CloudWatch measures them).
var linkedElsewhere = []string{
	"github.com/heraldrt/herald/shared/gateway",
	"github.com/heraldrt/herald/shared/node",
	"github.com/heraldrt/herald/shared/admin",
	"github.com/heraldrt/herald/shared/metrics",
	"github.com/heraldrt/herald/shared/livetrace",
	"net/http/pprof",
	"github.com/prometheus/",
}

// Each Lambda function links only what it serves: what `go list -deps`
// prints for its main holds none of linkedElsewhere.
func TestFunctionsLinkOnlyWhatTheyServe(t *testing.T) {
	for _, fn := range []string{"api", "negotiate", "chathub"} {
		out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "../../functions/"+fn).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps functions/%s: %v\n%s", fn, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 50 {
			t.Fatalf("functions/%s: only %d packages listed: %q", fn, len(deps), out)
		}
		for _, d := range deps {
			for _, bad := range linkedElsewhere {
				if d == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(d, bad)) {
					t.Errorf("functions/%s links %s", fn, d)
				}
			}
		}
		t.Logf("functions/%s links %d packages", fn, len(deps))
	}
}
