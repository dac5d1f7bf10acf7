resource "aws_iam_role" "r" {
  name = "file-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role" "k" {
  name = "keys-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy" "admin" {
  role   = aws_iam_role.r.id
  policy = file("${path.module}/policies/admin.json")
}

resource "aws_iam_role_policy" "templated" {
  role   = aws_iam_role.k.id
  policy = templatefile(abspath("${path.module}/policies/keys.json.tpl"), { action = "iam:CreateAccessKey" })
}

resource "aws_iam_role_policy" "optional" {
  count  = fileexists("${path.module}/policies/missing.json") ? 1 : 0
  role   = aws_iam_role.k.id
  policy = file("${path.module}/policies/missing.json")
}
