package awsparams_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/awsparams"
	"github.com/heraldrt/herald/shared/awstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The client reads a secret and a SecureString parameter from moto, found
// through AWS_ENDPOINT_URL and the environment's region and credentials,
// as in Lambda and ECS; missing and binary values are ErrUnavailable.
func TestReadsThroughTheSDK(t *testing.T) {
	srv := awstest.Start(t)
	ctx := awstest.Context(t)
	cfg := srv.Config()
	sm := secretsmanager.NewFromConfig(cfg)
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("herald/access-keys"), SecretString: aws.String("k1,k2")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("binary"), SecretBinary: []byte{0, 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/herald/keys"), Value: aws.String("p1"), Type: ssmtypes.ParameterTypeSecureString,
	}); err != nil {
		t.Fatal(err)
	}

	srv.Env(t)
	c, err := awsparams.New(ctx, awsparams.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"herald/access-keys", *created.ARN} {
		if v, err := c.Secret(ctx, id); err != nil || v != "k1,k2" {
			t.Errorf("secret %s: %q %v", id, v, err)
		}
	}
	if v, err := c.Parameter(ctx, "/herald/keys"); err != nil || v != "p1" {
		t.Errorf("parameter: %q %v", v, err)
	}
	for what, err := range map[string]error{
		"missing secret":    second(c.Secret(ctx, "nope")),
		"binary secret":     second(c.Secret(ctx, "binary")),
		"missing parameter": second(c.Parameter(ctx, "/nope")),
	} {
		if !errors.Is(err, awsparams.ErrUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", what, err)
		}
	}
}

func TestNoRegion(t *testing.T) {
	if _, err := awsparams.New(t.Context(), awsparams.Config{AWS: &aws.Config{}}); !errors.Is(err, awsparams.ErrUnavailable) {
		t.Fatalf("no region: %v", err)
	}
}

func second(_ string, err error) error { return err }
