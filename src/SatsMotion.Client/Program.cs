using SatsMotion.Client.Commands;

return await new Cli(Console.Out, Console.Error, Environment.GetEnvironmentVariable, Console.In).RunAsync(args);
