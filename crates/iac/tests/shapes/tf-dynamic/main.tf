locals {
  buckets  = ["logs", "data"]
  services = ["sqs", "sns"]
}

data "aws_iam_policy_document" "p" {
  dynamic "statement" {
    for_each = local.buckets
    content {
      actions   = ["s3:GetObject"]
      resources = ["arn:aws:s3:::${statement.value}/*"]
    }
  }
  statement {
    actions   = [for s in local.services : "${s}:*"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "r" {
  name = "dyn-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
  inline_policy {
    name   = "p"
    policy = data.aws_iam_policy_document.p.json
  }
}
