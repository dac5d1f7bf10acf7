module "worker" {
  source      = "./modules/worker"
  name        = "mod-worker"
  policy_json = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}

module "quiet" {
  source      = "./modules/worker"
  name        = "mod-quiet"
  policy_json = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sqs:SendMessage", Resource = "arn:aws:sqs:us-east-1:123456789012:q" }] })
}

module "remote" {
  source  = "terraform-aws-modules/lambda/aws"
  version = "7.0.0"
}

resource "aws_lambda_function" "uses_module_output" {
  function_name = "uses-output"
  role          = module.worker.role_arn
  handler       = "index.handler"
  runtime       = "python3.12"
}
