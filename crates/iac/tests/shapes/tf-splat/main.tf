resource "aws_iam_role" "fn" {
  count = 3
  name  = "splat-${count.index}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_policy" "admin" {
  name   = "admin"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}

# Every instance at once, through a splat.
resource "aws_iam_policy_attachment" "all" {
  name       = "all"
  roles      = aws_iam_role.fn[*].name
  policy_arn = aws_iam_policy.admin.arn
}
