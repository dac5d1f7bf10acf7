# The issue's shape: a role made with count, AdministratorAccess attached to one instance.
resource "aws_iam_role" "fn" {
  count = 2
  name  = "fn-${count.index}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = aws_iam_role.fn[0].name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_lambda_function" "fn" {
  count         = 2
  function_name = "worker-${count.index}"
  role          = aws_iam_role.fn[count.index].arn
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = "fn.zip"
}
