variable "create" { type = bool }

# count known only at plan time: one symbolic instance, never zero.
resource "aws_iam_role" "maybe" {
  count = var.create ? 1 : 0
  name  = "maybe-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy" "p" {
  count  = var.create ? 1 : 0
  role   = aws_iam_role.maybe[0].id
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "iam:PutRolePolicy", Resource = "*" }] })
}
