#!/usr/bin/env python3
"""Deploy rehearsal helper (tests/deploy_rehearsal_test.go runs it).

  stack.py translate SRC OUT
      Packages SRC (template.yaml) the way `sam package` would (local CodeUri and
      Location become S3 locations of a rehearsal bucket), transforms it with the SAM
      translator (samtranslator) and writes the CloudFormation template to OUT (JSON).

  stack.py deploy ENDPOINT TRANSLATED PARAMS NAME
      Against the AWS endpoint ENDPOINT (a moto_server): creates what a user brings (a
      VPC with four subnets, the rehearsal bucket with the packaged code, secrets), then
      creates the stack from TRANSLATED with the parameters of the JSON object PARAMS
      (a value "secret:VALUE" becomes the ARN of a new Secrets Manager secret holding
      VALUE; "{vpc}", "{public-subnets}", "{private-subnets}" name the network; a key
      "substitute:ID" stands for resource ID, a secret moto cannot create), waits for
      it and prints, as JSON, what the stack created, read back through the service APIs.
"""
import io
import json
import os
import sys
import time
import zipfile

MISSING = []
try:
    import boto3
except ImportError:
    MISSING.append("boto3")
try:
    from samtranslator.public.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse
except ImportError:
    MISSING.append("aws-sam-translator")

BUCKET = "herald-rehearsal"
REGION = "us-east-1"


def package(src):
    for lid, res in src.get("Resources", {}).items():
        props = res.get("Properties", {})
        if res.get("Type") == "AWS::Serverless::Function":
            uri = props.get("CodeUri")
            if isinstance(uri, str) and not uri.startswith("s3://"):
                props["CodeUri"] = "s3://%s/%s.zip" % (BUCKET, lid)
        if res.get("Type") == "AWS::Serverless::Application":
            loc = props.get("Location")
            if isinstance(loc, str):
                props["Location"] = "https://s3.amazonaws.com/%s/%s" % (BUCKET, loc.replace("/", "-"))
    return src


def translate(src_path, out_path):
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)  # the translator resolves AWS::Region
    with open(src_path) as f:
        src = package(yaml_parse(f.read()))
    try:
        out = transform(src, {}, None)
    except InvalidDocumentException as e:
        for c in e.causes:
            print("sam translator:", c.message, file=sys.stderr)
        sys.exit(1)
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)


def default(o):
    if hasattr(o, "isoformat"):
        return o.isoformat()
    return str(o)


def deploy(endpoint, translated_path, params_path, name):
    with open(translated_path) as f:
        body = f.read()
    tpl = json.loads(body)
    with open(params_path) as f:
        params = json.load(f)
    kw = dict(endpoint_url=endpoint, region_name=REGION,
              aws_access_key_id="rehearsal", aws_secret_access_key="rehearsal")

    def client(name):
        return boto3.client(name, **kw)

    ec2 = client("ec2")
    bucket = "%s-%s" % (BUCKET, name.lower())
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.%d.0/24" % i,
                                 AvailabilityZone=REGION + "ab"[i % 2])["Subnet"]["SubnetId"] for i in range(4)]
    net = {"{vpc}": vpc, "{public-subnets}": ",".join(subnets[:2]), "{private-subnets}": ",".join(subnets[2:])}
    s3 = client("s3")
    s3.create_bucket(Bucket=bucket)
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("bootstrap", "built by make lambdas")
    for lid, res in tpl["Resources"].items():
        c = res.get("Properties", {}).get("Code", {})
        if isinstance(c, dict) and c.get("S3Bucket") == BUCKET:
            c["S3Bucket"] = bucket
            s3.put_object(Bucket=bucket, Key=c["S3Key"], Body=code.getvalue())
    body = json.dumps(tpl)
    sm = client("secretsmanager")
    values = {}
    # Resources moto's CloudFormation cannot create (AWS::SecretsManager::Secret): the
    # caller gives their values as "substitute:LogicalId"; each becomes a secret created here and a parameter of
    # the same name holding its ARN, so that every Ref to it resolves as CloudFormation
    # would resolve it (Ref of a secret is its ARN).
    for key in [k for k in params if k.startswith("substitute:")]:
        lid, value = key[len("substitute:"):], params.pop(key)
        del tpl["Resources"][lid]
        tpl.setdefault("Parameters", {})[lid] = {"Type": "String"}
        values[lid] = sm.create_secret(Name="%s/%s" % (name, lid), SecretString=value)["ARN"]
        for res in tpl["Resources"].values():
            dep = res.get("DependsOn")
            if dep == lid:
                del res["DependsOn"]
            elif isinstance(dep, list) and lid in dep:
                res["DependsOn"] = [d for d in dep if d != lid]
    body = json.dumps(tpl)
    for k, v in params.items():
        if v.startswith("secret:"):
            v = sm.create_secret(Name="%s/%s" % (name, k), SecretString=v[len("secret:"):])["ARN"]
        values[k] = net.get(v, v)
    cf = client("cloudformation")
    cf.create_stack(StackName=name, TemplateBody=body,
                    Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
                    Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    deadline = time.time() + 60
    while True:
        stack = cf.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS") or time.time() > deadline:
            break
        time.sleep(0.1)
    out = {"status": stack["StackStatus"], "statusReason": stack.get("StackStatusReason", ""),
           "parameters": values, "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
           "resources": cf.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    phys = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in out["resources"] if r["LogicalResourceId"]}

    elb = client("elbv2")
    mine = set(phys.values())
    out["loadBalancers"] = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerArn"] in mine]
    for lb in out["loadBalancers"]:
        lb["Attributes"] = elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
        lb["Listeners"] = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        for ln in lb["Listeners"]:
            ln["Rules"] = elb.describe_rules(ListenerArn=ln["ListenerArn"])["Rules"]
    out["targetGroups"] = [tg for tg in elb.describe_target_groups()["TargetGroups"] if tg["TargetGroupArn"] in mine]
    for tg in out["targetGroups"]:
        arn = tg["TargetGroupArn"]
        tg["LogicalId"] = next((k for k, v in phys.items() if v == arn), "")
        tg["Attributes"] = elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
        tg["Targets"] = [d["Target"] for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]]

    lam = client("lambda")
    out["functions"] = {}
    for lid, res in tpl["Resources"].items():
        if res.get("Type") == "AWS::Lambda::Function" and phys.get(lid):
            out["functions"][lid] = lam.get_function_configuration(FunctionName=phys[lid])

    ecs = client("ecs")
    out["taskDefinitions"] = {}
    out["services"] = {}
    for lid, res in tpl["Resources"].items():
        if res.get("Type") == "AWS::ECS::TaskDefinition" and phys.get(lid):
            out["taskDefinitions"][lid] = ecs.describe_task_definition(taskDefinition=phys[lid])["taskDefinition"]
        if res.get("Type") == "AWS::ECS::Service" and phys.get(lid):
            cluster = res["Properties"].get("Cluster", {})
            cluster = phys.get(cluster.get("Ref", ""), "") if isinstance(cluster, dict) else cluster
            svcs = ecs.describe_services(cluster=cluster, services=[phys[lid]])["services"]
            out["services"][lid] = svcs[0] if svcs else {}
    out["secrets"] = {s["ARN"]: sm.get_secret_value(SecretId=s["ARN"])["SecretString"]
                      for s in sm.list_secrets()["SecretList"] if s["Name"].startswith(name + "/")}
    json.dump(out, sys.stdout, default=default, sort_keys=True)


def main():
    if MISSING:
        print("missing Python packages: %s; install them with `pip install cfn-lint aws-sam-translator boto3 'moto[server]'`"
              % ", ".join(MISSING), file=sys.stderr)
        sys.exit(3)
    if len(sys.argv) == 4 and sys.argv[1] == "translate":
        translate(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 6 and sys.argv[1] == "deploy":
        deploy(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
