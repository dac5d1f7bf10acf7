# A stand-in for a module `terraform init` installed: read from .terraform/modules.
variable "function_name" { type = string }
variable "policy_arn" { type = string }

resource "aws_iam_role" "lambda" {
  name = "${var.function_name}-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy_attachment" "extra" {
  role       = aws_iam_role.lambda.name
  policy_arn = var.policy_arn
}

resource "aws_lambda_function" "this" {
  function_name = var.function_name
  role          = aws_iam_role.lambda.arn
  handler       = "index.handler"
  runtime       = "python3.12"
}
