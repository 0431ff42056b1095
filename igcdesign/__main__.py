from igcdesign.cli import main

main()
