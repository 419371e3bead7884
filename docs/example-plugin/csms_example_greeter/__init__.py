"""An example third-party plugin: it answers the DataTransfer "Hello" that stations of the
(made-up) vendor "com.example" send, and keeps a history of greetings for operators."""

PLUGIN = "greeter"
