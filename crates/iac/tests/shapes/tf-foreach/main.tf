variable "functions" {
  default = {
    reader = "s3:GetObject"
    writer = "s3:PutObject"
  }
}

resource "aws_iam_role" "fn" {
  for_each = var.functions
  name     = "${each.key}-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy" "fn" {
  for_each = var.functions
  role     = aws_iam_role.fn[each.key].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = each.value, Resource = "*" }]
  })
}

resource "aws_iam_role_policy" "extra" {
  role   = aws_iam_role.fn["writer"].name
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = "*" }] })
}

resource "aws_lambda_function" "fn" {
  for_each      = toset(["reader", "writer"])
  function_name = each.key
  role          = aws_iam_role.fn[each.value].arn
  handler       = "index.handler"
  runtime       = "python3.12"
}
