variable "reports_bucket_arn" {
  type = string
}

locals {
  lambda_trust = {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  }
}

data "aws_caller_identity" "current" {}

resource "aws_iam_role" "reports" {
  name                 = "reports-generator"
  assume_role_policy   = jsonencode(local.lambda_trust)
  permissions_boundary = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:policy/lambda-boundary"
  tags = {
    team = "analytics"
  }
}

data "aws_iam_policy_document" "reports" {
  statement {
    sid       = "ReadReports"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [var.reports_bucket_arn, "${var.reports_bucket_arn}/*"]
  }

  statement {
    sid       = "EverySecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "reports" {
  name   = "reports"
  role   = aws_iam_role.reports.id
  policy = data.aws_iam_policy_document.reports.json
}

resource "aws_lambda_function" "reports" {
  function_name = "reports-generator"
  role          = aws_iam_role.reports.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "build/reports.zip"
  tags = {
    team = "analytics"
  }
}

resource "aws_lambda_function_url" "reports" {
  function_name      = aws_lambda_function.reports.function_name
  authorization_type = "NONE"
}

# rolecall:ignore LR304 the admin role is guarded by an SCP
resource "aws_iam_role" "admin" {
  name = "ops-admin"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = {
    team = "ops"
  }
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.admin.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_lambda_function" "ops" {
  function_name = "ops-runner"
  role          = aws_iam_role.admin.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "build/ops.zip"
  tags = {
    team = "ops"
  }
}

resource "aws_iam_role" "inline" {
  name = "etl-inline"
  assume_role_policy = jsonencode(local.lambda_trust)
  permissions_boundary = "arn:aws:iam::123456789012:policy/lambda-boundary"
  tags = {
    team = "etl"
  }
  inline_policy {
    name = "etl"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        {
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "arn:aws:logs:*:*:log-group:/aws/lambda/etl:*"
        },
        {
          Effect    = "Allow"
          NotAction = ["iam:*"]
          Resource  = "*"
        },
      ]
    })
  }
}

resource "aws_lambda_function" "etl" {
  function_name = "etl"
  role          = aws_iam_role.inline.arn
  runtime       = "python3.12"
  handler       = "app.handler"
  filename      = "build/etl.zip"
  tags = {
    team = "etl"
  }
}

# The two grants a public function URL needs since October 2025: the URL itself, and the
# invocation through it.
resource "aws_lambda_permission" "reports_url" {
  statement_id           = "FunctionURLAllowPublicAccess"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.reports.function_name
  principal              = "*"
  function_url_auth_type = "NONE"
}

resource "aws_lambda_permission" "reports_url_invoke" {
  statement_id            = "FunctionURLInvokeAllowPublicAccess"
  action                  = "lambda:InvokeFunction"
  function_name           = aws_lambda_function.reports.function_name
  principal               = "*"
  invoked_via_function_url = true
}
