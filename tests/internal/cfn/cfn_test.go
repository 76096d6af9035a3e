package cfn_test

import (
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/heraldrt/herald/tests/internal/cfn"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const sample = `
Parameters:
  Domain: { Type: String, Default: "" }
  Subnets: { Type: "List<AWS::EC2::Subnet::Id>" }
Conditions:
  HasDomain: !Not [!Equals [!Ref Domain, ""]]
Resources:
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Subnets: !Ref Subnets
      Port: 80
      Secure: true
  Fn:
    Type: AWS::Serverless::Function
    Condition: HasDomain
    Properties:
      Url: !If [HasDomain, !Sub "https://${Domain}/x", !Join ["", ["http://", !GetAtt Lb.DNSName]]]
      Named: !Sub ["${A}-${Lb.Arn}", { A: !Ref Domain }]
`

func load(t *testing.T) *cfn.Template {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.yaml")
	if err := os.WriteFile(path, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	tpl, err := cfn.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestShortFormsAndConditions(t *testing.T) {
	tpl := load(t)
	lb := tpl.Resources["Lb"].Properties
	if lb["Port"] != 80 || lb["Secure"] != true {
		t.Errorf("scalars keep their YAML types: %#v", lb)
	}
	if got := cfn.Lookup(lb, "Subnets", "Ref"); got != "Subnets" {
		t.Errorf("!Ref: %#v", lb["Subnets"])
	}
	plain := tpl.With(map[string]string{"Subnets": "s1,s2"})
	if plain.Exists("Fn") || plain.Condition("HasDomain") {
		t.Error("HasDomain holds with an empty Domain")
	}
	if got := plain.Resolve(lb["Subnets"]); len(got.([]any)) != 2 {
		t.Errorf("a List parameter resolves to a list: %#v", got)
	}
	fn := tpl.Resources["Fn"].Properties
	if got := plain.String(fn["Url"]); got != "http://"+cfn.Placeholder("Lb", "DNSName") {
		t.Errorf("!If/!Join/!GetAtt: %s", got)
	}
	named := tpl.With(map[string]string{"Domain": "x.example"})
	if !named.Exists("Fn") || named.String(fn["Url"]) != "https://x.example/x" {
		t.Errorf("!Sub with a parameter: %s", named.String(fn["Url"]))
	}
	if got := named.String(fn["Named"]); got != "x.example-"+cfn.Placeholder("Lb", "Arn") {
		t.Errorf("!Sub with a variable map: %s", got)
	}
}
