resource "aws_iam_role" "r" {
  name = "perm-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_lambda_function" "f" {
  function_name = "api-handler"
  role          = aws_iam_role.r.arn
  handler       = "index.handler"
  runtime       = "python3.12"
}

resource "aws_lambda_permission" "apigw_any" {
  statement_id  = "AllowAPIGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.f.function_name
  principal     = "apigateway.amazonaws.com"
}

resource "aws_lambda_permission" "events_ours" {
  statement_id  = "AllowEvents"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.f.function_name
  principal     = "events.amazonaws.com"
  source_arn    = "arn:aws:events:us-east-1:123456789012:rule/nightly"
}
