from ticketlens.cli import main

main()
